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
