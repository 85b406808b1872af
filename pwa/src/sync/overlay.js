// What the phone shows: pulled entities with its own unacknowledged commands laid on top.
import { PENDING, REJECTED, SENT } from './db.js'

/** The entity a command acts on, as {entity, id} (before the server names it in a receipt). */
export function target(command) {
  if (command.result && command.result.entity) return command.result
  const { type, args } = command
  if (type === 'comment') return { entity: args.entity, id: args.id }
  if (type === 'patrol.report') return { entity: 'incident', id: args.id }
  return { entity: type.split('.')[0], id: args.id }
}

function localIncident(command, user) {
  const { args, meta = {} } = command
  return {
    id: args.id,
    category: { code: args.category, name: meta.category_name ?? null, parent: meta.category_parent ?? null },
    urgent: Boolean(args.urgent),
    description: args.description,
    lat: args.lat,
    lng: args.lng,
    accuracy_m: args.accuracy_m ?? null,
    address: args.address ?? null,
    grid: meta.grid ?? null,
    community: meta.community ?? null,
    street: null,
    reporter: user ? { id: user.id, name: user.name } : null,
    state: 'pending',
    self_handled: Boolean(args.handled_on_spot),
    assignee: null,
    deadline: null,
    due: null,
    reported_at: args.device_time || command.device_time || command.created_at,
    photos: (args.photos || []).map((photo) => ({ ...photo, available: false })),
    local: true,
  }
}

function localPatrol(command, user) {
  const { args } = command
  return {
    id: args.id,
    member: user ? { id: user.id, name: user.name } : null,
    mine: true,
    grid: { code: args.grid, name: command.meta?.grid_name ?? null },
    state: 'active',
    started_at: args.device_time || command.device_time,
    ended_at: null,
    duration_s: 0,
    length_m: 0,
    points: 0,
    counted: 0,
    coverage: null,
    checkpoints: null,
    incidents: [],
    score: null,
    local: true,
  }
}

function journalEntry(current, command, user) {
  const { args } = command
  const written = { problems: args.problems, measures: args.measures, results: args.results, drafted: Boolean(args.drafted) }
  if (current) return { ...current, ...written }
  return { id: args.id, day: args.day, member: user ? { id: user.id, name: user.name } : null, mine: true, comment: null, ...written, local: true }
}

/** The entity's photos with those a command brings (not on the server yet), each once. */
function withPhotos(current, command) {
  const known = new Set((current.photos || []).map((p) => p.sha256))
  const added = (command.args.photos || []).filter((p) => !known.has(p.sha256)).map((p) => ({ ...p, available: false }))
  return [...(current.photos || []), ...added]
}

function localVisit(command, user) {
  const { args } = command
  const at = args.device_time || command.device_time || command.created_at
  return {
    id: args.id,
    household_id: args.household,
    visitor: user ? { id: user.id, name: user.name } : null,
    at,
    recorded_at: null,
    lat: args.lat ?? null,
    lng: args.lng ?? null,
    met: args.met || [],
    note: args.note,
    forms: args.forms || {},
    photos: (args.photos || []).map((photo) => ({ ...photo, available: false })),
    incident_id: null,
    signoff_due: null,
    signed_at: null,
    opinion: null,
    local: true,
  }
}

// A phone keeps phones and ID numbers only masked: a new one is shown as app/privacy masks it.
const masked = { phone: (v) => v && `${v.slice(0, 3)}****${v.slice(-4)}`, id_number: (v) => v && `${v.slice(0, 3)}${'*'.repeat(v.length - 7)}${v.slice(-4)}` }

/** A household's (or one member's) fields changed on the phone, as household.update sends them. */
function householdChanged(current, command) {
  if (!current) return current
  const { member, changes } = command.args
  const shown = Object.fromEntries(Object.entries(changes).map(([field, value]) => [field, masked[field] ? masked[field](value) : value]))
  if (!member) return { ...current, ...shown }
  return { ...current, members: (current.members || []).map((m) => (m.id === member ? { ...m, ...shown } : m)) }
}

/** 迁出 and back: the household's own `moved_out`, or one member's. */
function moved(current, command) {
  if (!current) return current
  const { member, on, to, reason } = command.args
  const value = command.type === 'household.move_out' ? { on, to: to ?? null, reason } : null
  if (!member) return { ...current, moved_out: value }
  return { ...current, members: (current.members || []).map((m) => (m.id === member ? { ...m, moved_out: value } : m)) }
}

/** A visit recorded on the phone, on its household: when last, and whom it met (the screens
 * work out the next visit due from the plans: views/households/households.js). */
function visited(current, command) {
  if (!current) return current
  const at = command.args.device_time || command.device_time || command.created_at
  const later = !current.last_visit_at || Date.parse(at) > Date.parse(current.last_visit_at)
  return {
    ...current,
    last_visit_at: later ? at : current.last_visit_at,
    visits_on_phone: [...(current.visits_on_phone || []), { at, met: command.args.met || [] }],
  }
}

// Commands that also change another entity than the one they act on: {type: [entity, id of, effect]}.
const ALSO = {
  'visit.record': ['household', (args) => args.household, visited],
}

function holder(user, command) {
  return { user_id: user?.id, name: user?.name, claimed_at: command.device_time }
}

/** How each command changes what is shown; current is the entity (or undefined). */
const EFFECTS = {
  'incident.report': (current, command, user) => current ?? localIncident(command, user),
  'patrol.report': (current, command, user) => current ?? localIncident(command, user),
  'incident.start': (current) => current && { ...current, state: 'in_progress' },
  'incident.handle': (current, command) => current && { ...current, state: 'handled', photos: withPhotos(current, command) },
  'incident.return': (current) => current && { ...current, assignee: null },
  'task.claim': (current, command, user) => {
    if (!current || current.mine) return current
    return {
      ...current,
      mine: true,
      claimed: (current.claimed ?? 0) + 1,
      holders: [...(current.holders || []), holder(user, command)],
    }
  },
  'task.release': (current, command, user) => {
    if (!current || !current.mine) return current
    return {
      ...current,
      mine: false,
      claimed: Math.max(0, (current.claimed ?? 1) - 1),
      holders: (current.holders || []).filter((h) => h.user_id !== user?.id),
    }
  },
  // 叫应 answered on the phone: shown answered at once, offline too.
  'rollcall.ack': (current, command) =>
    current && (current.mine?.acknowledged_at ? current : { ...current, mine: { ...current.mine, acknowledged_at: command.device_time } }),
  'patrol.start': (current, command, user) => current ?? localPatrol(command, user),
  'patrol.end': (current, command) => current && (current.state === 'ended' ? current : { ...current, state: 'ended', ended_at: command.args.device_time }),
  'journal.write': journalEntry,
  // 住户 and 走访 (app/households, app/visits): shown at once, offline too.
  'visit.record': (current, command, user) => current ?? localVisit(command, user),
  'household.update': householdChanged,
  'household.move_out': moved,
  'household.move_in': moved,
  'message.read': (current, command) => current && (current.read_at ? current : { ...current, read_at: command.device_time }),
  // 微心愿 and 志愿服务 (app/wishes, app/volunteering): the claimant's own view at once.
  'wish.record': (current, command) => current ?? { ...command.args, state: 'recorded', mine: false, photos: [], local: true },
  'wish.claim': (current) => (current && !current.mine ? { ...current, mine: true, state: 'claimed' } : current),
  'wish.cancel': (current, command) => current && { ...current, mine: false, state: 'published', reason: command.args.reason },
  'wish.fulfil': (current, command) =>
    current && { ...current, state: command.args.confirmed ? 'fulfilled' : 'delivered', photos: withPhotos(current, command) },
  'activity.sign_up': (current, command) =>
    current && !current.mine ? { ...current, mine: { signed_up_at: command.device_time }, signed_up: (current.signed_up ?? 0) + 1 } : current,
  'activity.check_in': (current, command) =>
    current?.mine && { ...current, mine: { ...current.mine, checked_in_at: command.args.device_time || command.device_time } },
  'activity.check_out': (current, command) =>
    current?.mine && { ...current, mine: { ...current.mine, checked_out_at: command.args.device_time || command.device_time } },
  'task.complete': (current, command) =>
    current && {
      ...current,
      state: 'completed',
      completed_at: command.device_time,
      completion_note: command.args.note ?? null,
      photos: withPhotos(current, command),
    },
}

function key(entity, id) {
  return `${entity}:${id}`
}

/**
 * overlay(entities, commands, user) → {incidents, tasks, emergencies, rollcalls, messages,
 * wishes, activities, patrols, plans, journal, households, visits}:
 * arrays of entity data, each with
 * `pending` (the commands still on their way, oldest first: {command_id, type, state}) and
 * `rejected` (refused commands with their error) when there are any.
 * entities: [{entity, id, data}]; commands: outbox rows of this user.
 */
export function overlay(entities, commands, user) {
  const shown = new Map()
  for (const row of entities) shown.set(key(row.entity, row.id), { ...row.data })
  const ordered = [...commands].sort(
    (a, b) => String(a.created_at).localeCompare(String(b.created_at)) || a.seq - b.seq,
  )
  for (const command of ordered) {
    const { entity, id } = target(command)
    const k = key(entity, id)
    const current = shown.get(k)
    if (command.state === REJECTED) {
      if (current) {
        shown.set(k, {
          ...current,
          rejected: [...(current.rejected || []), { command_id: command.command_id, type: command.type, error: command.error }],
        })
      }
      continue
    }
    if (command.state !== PENDING && command.state !== SENT) continue
    const effect = EFFECTS[command.type]
    const next = effect ? effect(current, command, user) : current
    if (!next) continue
    const mark = { command_id: command.command_id, type: command.type, state: command.state }
    shown.set(k, { ...next, pending: [...(next.pending || []), mark] })
    const also = ALSO[command.type]
    if (also) {
      const [otherEntity, idOf, otherEffect] = also
      const other = key(otherEntity, idOf(command.args))
      const changed = otherEffect(shown.get(other), command, user)
      if (changed) shown.set(other, { ...changed, pending: [...(changed.pending || []), mark] })
    }
  }
  const out = {
    incidents: [],
    tasks: [],
    emergencies: [],
    rollcalls: [],
    messages: [],
    wishes: [],
    activities: [],
    patrols: [],
    plans: [],
    journal: [],
    households: [],
    visits: [],
  }
  const lists = {
    incident: out.incidents,
    task: out.tasks,
    emergency: out.emergencies,
    rollcall: out.rollcalls,
    message: out.messages,
    wish: out.wishes,
    activity: out.activities,
    patrol: out.patrols,
    patrol_plan: out.plans,
    journal: out.journal,
    household: out.households,
    visit: out.visits,
  }
  for (const [k, data] of shown) lists[k.slice(0, k.indexOf(':'))]?.push(data)
  return out
}
