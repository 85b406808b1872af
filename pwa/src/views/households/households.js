// The register's small rules for the screens: the tags shown, what is due, a visit's body.

export const PERSON_TAGS = [
  'elderly_alone',
  'low_income',
  'disabled',
  'key_person:mental_disorder',
  'key_person:community_correction',
  'key_person:released',
  'key_person:drug',
  'key_person:petition',
]
export const TAGS = ['rental', ...PERSON_TAGS]

/** Every tag of a household: its own and its members', each once, in TAGS order. */
export function tagsOf(household) {
  const found = new Set([...(household.tags || []), ...(household.members || []).flatMap((m) => m.tags || [])])
  return TAGS.filter((tag) => found.has(tag))
}

/** 'overdue' (never visited, or past its date), 'soon' (within 7 days) or 'ok'. */
export function dueState(household, now = new Date()) {
  if (!household.next_visit_due) return 'overdue'
  const due = new Date(household.next_visit_due)
  if (due <= now) return 'overdue'
  return due - now <= 7 * 24 * 3600 * 1000 ? 'soon' : 'ok'
}

/** A visit's body for POST /api/visits: the people met, and each one's form as filled. */
export function visitBody({ id, household, met, note, forms, point }) {
  const chosen = Object.fromEntries(Object.entries(forms).filter(([member]) => met.includes(member)))
  return { id, household, met, note, forms: chosen, ...(point ? { lat: point.lat, lng: point.lng } : {}) }
}

/** The fields a person's form asks, from the plans (GET /api/visits/plans) and their tags. */
export function formFields(plans, tags) {
  return plans.filter((plan) => tags.includes(plan.tag)).flatMap((plan) => plan.fields || [])
}

/** A tag's locale key (a 重点人员's category follows a colon, which keys do not hold). */
export const tagKey = (tag) => `households.tags.${tag.replace(':', '_')}`

const DAY = 24 * 3600 * 1000
const living = (one) => !one.moved_out

/**
 * The household with the visits recorded on this phone counted (the overlay lists them in
 * visits_on_phone): its next visit due from the plans, as app/visits' due_of computes it. A
 * tagged person the phone's visits did not meet keeps the server's date for the household as
 * the bound of theirs (the pull does not say each person's): never later than the truth.
 */
export function withVisitsOnPhone(household, plans) {
  const local = household.visits_on_phone || []
  if (!local.length || !plans?.length || !living(household)) return household
  const latest = (ats) => ats.reduce((a, b) => (a === null || Date.parse(b) > Date.parse(a) ? b : a), null)
  const days = Object.fromEntries(plans.map((plan) => [plan.tag, plan.every_days]))
  const dues = []
  if (days.household) dues.push(Date.parse(household.last_visit_at) + days.household * DAY)
  for (const member of (household.members || []).filter(living)) {
    const every = (member.tags || []).map((tag) => days[tag]).filter(Boolean)
    if (!every.length) continue
    const met = latest(local.filter((v) => v.met.includes(member.id)).map((v) => v.at))
    if (met) dues.push(Date.parse(met) + Math.min(...every) * DAY)
    else dues.push(household.next_visit_due ? Date.parse(household.next_visit_due) : null)
  }
  const next = dues.includes(null) || !dues.length ? null : new Date(Math.min(...dues)).toISOString()
  return { ...household, next_visit_due: next }
}

/** Whether a household answers a search on the phone: a part of its address or of a member's
 * name (phones and ID numbers are masked on the phone: a whole one is asked of the server). */
export function matches(household, query) {
  const q = query.trim().toLowerCase().replace(/\s+/g, '')
  if (!q) return true
  const place = [household.address, household.building, household.unit, household.room].filter(Boolean).join('').toLowerCase().replace(/\s+/g, '')
  return place.includes(q) || (household.members || []).some((m) => (m.name || '').toLowerCase().includes(q))
}

/** A whole mobile or ID number: found by the server (encrypted there, masked here). */
export const wholeNumber = (query) => /^(1\d{10}|\d{17}[\dXx])$/.test(query.trim())

/** Due first (never visited, then by date), then the rest by address. */
export function byDue(a, b) {
  const when = (h) => (h.next_visit_due ? Date.parse(h.next_visit_due) : -Infinity)
  return when(a) - when(b) || String(a.address).localeCompare(String(b.address), 'zh-CN')
}

/** The household's (or a member's) fields that an edit changed, with each one's version as
 * pulled, for household.update: {changes, base}, or null when nothing changed. */
export function changesOf(row, edited, fields) {
  const changes = {}
  for (const field of fields) {
    if (!(field in edited)) continue
    const before = row[field] ?? null
    const after = edited[field] === '' ? null : edited[field]
    const same = Array.isArray(after) ? JSON.stringify([...after].sort()) === JSON.stringify([...(before || [])].sort()) : after === before
    if (!same) changes[field] = after
  }
  if (!Object.keys(changes).length) return null
  return { changes, base: Object.fromEntries(Object.keys(changes).map((field) => [field, row.versions?.[field] ?? 0])) }
}

export const HOUSEHOLD_FIELDS = ['address', 'building', 'unit', 'room', 'tags']
export const MEMBER_FIELDS = ['relationship', 'phone', 'tags']
export const RELATIONSHIPS = ['head', 'spouse', 'child', 'parent', 'grandchild', 'sibling', 'other', 'tenant']

/** A command's args as plain JSON: the outbox (IndexedDB) cannot store Vue's proxies. */
export const plain = (value) => JSON.parse(JSON.stringify(value))
