// Emergency mode (平急结合) as the phone sees it, from pulled entities only (works offline):
// which switch covers my grids, the order of task lists, the roll-calls waiting for me.

/** Response levels, most severe first, with the colour the server names. */
export const LEVELS = ['I', 'II', 'III', 'IV']
export const KINDS = ['flood', 'fire', 'geohazard', 'epidemic', 'other']
// Each level's colour with the text on it at least 4.5:1 (WCAG AA): white on red, orange and
// blue (the orange is a deep one: white on #e8590c was 3.6:1); yellow needs dark text.
export const COLOURS = { red: '#c8102e', orange: '#c2410c', yellow: '#f5b400', blue: '#1a5fd0' }
export const INK = { red: '#fff', orange: '#fff', yellow: '#2b2100', blue: '#fff' }

/** The banner's colours for a level colour (orange when unknown). */
export const levelStyle = (colour) => ({ background: COLOURS[colour] || COLOURS.orange, color: INK[colour] || '#fff' })

function severity(level) {
  const i = LEVELS.indexOf(level)
  return i < 0 ? LEVELS.length : i
}

/** The more pressing of two switches: the more severe level, then a real one over a drill,
 * then the one started last. */
export function compareSwitches(a, b) {
  return (
    severity(a.level) - severity(b.level) ||
    Number(Boolean(a.drill)) - Number(Boolean(b.drill)) ||
    String(b.started_at || '').localeCompare(String(a.started_at || ''))
  )
}

/**
 * The switch a person's banner shows: the most severe active switch covering one of their
 * grids; with no grid of their own (a secretary, a street or district admin), the most
 * severe active switch they pulled (the pull brings those over their area). null: normal.
 */
export function currentMode(switches, gridCodes = []) {
  const active = (switches || []).filter((s) => s.state === 'active')
  const mine = gridCodes.length ? active.filter((s) => (s.grids || []).some((code) => gridCodes.includes(code))) : active
  return mine.sort(compareSwitches)[0] || null
}

/** Each grid's effective mode among these switches (the most severe active one over it). */
export function modesByGrid(switches) {
  const out = {}
  for (const s of (switches || []).filter((x) => x.state === 'active')) {
    for (const code of s.grids || []) if (!out[code] || compareSwitches(s, out[code]) < 0) out[code] = s
  }
  return out
}

/** Emergency tasks first (the more severe switch first), then by deadline. */
export function taskOrder(switchesById = {}) {
  return (a, b) => {
    const ea = a.emergency_id ? switchesById[a.emergency_id] || { level: 'IV' } : null
    const eb = b.emergency_id ? switchesById[b.emergency_id] || { level: 'IV' } : null
    if (ea && !eb) return -1
    if (eb && !ea) return 1
    if (ea && eb) {
      const bySwitch = severity(ea.level) - severity(eb.level)
      if (bySwitch) return bySwitch
    }
    // Instants, not strings: the same time may come with different offsets (+08:00, Z).
    return (Date.parse(a.deadline) || Infinity) - (Date.parse(b.deadline) || Infinity) || 0
  }
}

/** Roll-calls asking me that I have not answered (an answer queued offline counts). */
export function awaitingMe(rollcalls) {
  return (rollcalls || [])
    .filter((r) => r.mine?.asked && !r.mine.acknowledged_at && !r.closed_at)
    .sort((a, b) => String(b.last_issued_at || b.created_at).localeCompare(String(a.last_issued_at || a.created_at)))
}

/** Where an inbox message leads: a route location, or null. */
export function messageTarget(message) {
  if (!message?.entity_id) return null
  if (message.entity === 'task') return { name: 'task', params: { id: message.entity_id } }
  if (message.entity === 'incident') return { name: 'incident', params: { id: message.entity_id } }
  // Roll-calls and switches are shown on the mode screen (the banner's page).
  if (message.entity === 'rollcall') return { name: 'mode', query: { rollcall: message.entity_id } }
  if (message.entity === 'emergency') return { name: 'mode', query: { switch: message.entity_id } }
  if (message.entity === 'patrol') return { name: 'patrol', params: { id: message.entity_id } }
  if (message.entity === 'patrol_plan') return { name: 'patrols' }
  if (message.entity === 'journal') return { name: 'journal' }
  return null
}
