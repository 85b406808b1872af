// What the secretary may decide on an incident or a task in its state, in the order shown:
// the queue item and the detail panel offer the same buttons from here. `instant` decisions
// are sent at once; the others open the decision dialog (words, a person or a time).
export function incidentDecisions(incident) {
  const s = incident.state
  const out = []
  if (s === 'reported') out.push({ kind: 'accept', type: 'primary', instant: true }, { kind: 'reject', type: 'danger', plain: true })
  if (['accepted', 'dispatched', 'in_progress'].includes(s)) out.push({ kind: s === 'accepted' ? 'dispatch' : 'redispatch', type: 'primary', plain: s !== 'accepted' })
  if (s === 'handled') out.push({ kind: 'check_pass', type: 'success', instant: true }, { kind: 'check_fail', type: 'danger', plain: true })
  if (s !== 'reported') out.push({ kind: 'escalate', type: 'default', plain: true })
  return out
}

export function taskDecisions(task) {
  if (task.state === 'open' && task.claimed < task.capacity) return [{ kind: 'assign_task', type: 'primary' }]
  if (task.state === 'completed') return [{ kind: 'verify_pass', type: 'success', instant: true }, { kind: 'verify_fail', type: 'danger', plain: true }]
  return []
}

/** The request an instant decision sends: [path, body, the locale key of what is said]. */
export function instantRequest(kind, target) {
  switch (kind) {
    case 'accept':
      return [`/api/incidents/${target.id}/accept`, { note: null }, 'desk.done.accept']
    case 'check_pass':
      return [`/api/incidents/${target.id}/check`, { passed: true }, 'desk.done.check_pass']
    case 'verify_pass':
      return [`/api/tasks/${target.id}/verify`, { passed: true }, 'desk.done.verify_pass']
  }
  throw new Error(`not an instant decision: ${kind}`)
}
