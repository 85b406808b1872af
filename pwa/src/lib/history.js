// 我的历史: the member's own recent actions, from what the phone already holds (works offline):
// the outbox (what this phone did, still pending, sent or rejected) and the pulled entities
// (what the server says I did: incidents I reported, tasks I hold or completed, roll-calls I
// answered, from any of my phones). One action told by both is shown once, from the outbox
// (it knows whether it has been sent).

// Commands that are not actions worth listing (reading a message).
const QUIET = new Set(['message.read'])

/** Where an item opens: a route location, or null. */
export function routeOf(entity, id) {
  if (id == null) return null
  if (entity === 'incident') return { name: 'incident', params: { id: String(id) } }
  if (entity === 'task') return { name: 'task', params: { id: String(id) } }
  if (entity === 'rollcall' || entity === 'emergency') return { name: 'mode' }
  return null
}

function titleOf(entity, data) {
  if (!data) return ''
  if (entity === 'incident') return data.description || ''
  if (entity === 'task') return data.title || ''
  if (entity === 'rollcall') return data.message || ''
  return ''
}

/** What the pulled entities say I did: [{type, entity, id, at, title}]. */
function facts(view, userId) {
  const out = []
  for (const i of view.incidents || []) {
    if (!i.local && i.reporter?.id === userId && i.reported_at) out.push({ type: 'incident.report', entity: 'incident', id: i.id, at: i.reported_at, title: titleOf('incident', i) })
  }
  for (const task of view.tasks || []) {
    const held = (task.holders || []).find((h) => h.user_id === userId)
    if (held?.claimed_at) out.push({ type: 'task.claim', entity: 'task', id: task.id, at: held.claimed_at, title: titleOf('task', task) })
    // The task JSON does not say who completed it: a completed task I hold is counted mine.
    if (held && task.state === 'completed' && task.completed_at) {
      out.push({ type: 'task.complete', entity: 'task', id: task.id, at: task.completed_at, title: titleOf('task', task) })
    }
  }
  for (const call of view.rollcalls || []) {
    if (call.mine?.acknowledged_at) out.push({ type: 'rollcall.ack', entity: 'rollcall', id: call.id, at: call.mine.acknowledged_at, title: titleOf('rollcall', call) })
  }
  return out
}

function time(value) {
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? 0 : ms
}

/**
 * myHistory({view, commands, userId, target, limit}) → newest first:
 * [{key, type, entity, id, at, title, state, to}], state 'pending' | 'sent' | 'rejected' for an
 * outbox command, 'done' for what the server holds. view is the overlay
 * ({incidents, tasks, rollcalls}); commands are this user's outbox rows; target(command) →
 * {entity, id} (sync/overlay.js).
 */
export function myHistory({ view, commands, userId, target, limit = 50 }) {
  const byKey = new Map()
  const index = {
    incident: new Map((view.incidents || []).map((x) => [String(x.id), x])),
    task: new Map((view.tasks || []).map((x) => [String(x.id), x])),
    rollcall: new Map((view.rollcalls || []).map((x) => [String(x.id), x])),
  }
  for (const fact of facts(view, userId)) {
    const key = `${fact.type}|${fact.entity}|${fact.id}`
    byKey.set(key, { key, ...fact, state: 'done', to: routeOf(fact.entity, fact.id) })
  }
  for (const command of commands || []) {
    if (QUIET.has(command.type) || (userId != null && command.user_id != null && command.user_id !== userId)) continue
    const { entity, id } = target(command)
    // The server's copy of the same action (a sent claim the pull brought back) gives way.
    byKey.delete(`${command.type}|${entity}|${id}`)
    const data = index[entity]?.get(String(id))
    byKey.set(command.command_id, {
      key: command.command_id,
      type: command.type,
      entity,
      id,
      at: command.device_time || command.created_at,
      title: command.meta?.title || titleOf(entity, data) || command.args?.description || '',
      state: command.state,
      to: routeOf(entity, id),
    })
  }
  return [...byKey.values()].sort((a, b) => time(b.at) - time(a.at) || String(b.key).localeCompare(String(a.key))).slice(0, limit)
}
