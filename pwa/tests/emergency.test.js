// Emergency mode as the phone works it out from pulled switches (offline): the banner's
// switch, each grid's mode, task order, the roll-calls waiting, where a message leads.
import { describe, expect, it } from 'vitest'
import { COLOURS, levelStyle, awaitingMe, currentMode, messageTarget, modesByGrid, taskOrder } from '../src/lib/emergency.js'

const A = '520602001001001'
const B = '520602001001002'
const C = '520602001002001'

function sw(id, level, grids, extra = {}) {
  const colour = { I: 'red', II: 'orange', III: 'yellow', IV: 'blue' }[level]
  return { id, level, colour, grids, state: 'active', drill: false, title: `防汛${level}级应急响应`, started_at: '2026-07-01T08:00:00+08:00', ...extra }
}

describe('currentMode', () => {
  it('is the most severe active switch covering one of my grids', () => {
    const switches = [sw('iv', 'IV', [A, B]), sw('ii', 'II', [B]), sw('i', 'I', [C]), sw('old', 'I', [A], { state: 'ended' })]
    expect(currentMode(switches, [A])?.id).toBe('iv')
    expect(currentMode(switches, [A, B])?.id).toBe('ii')
    expect(currentMode(switches, ['520602009009009'])).toBeNull()
  })

  it('prefers a real switch over a drill of the same level, then the newest', () => {
    const drill = sw('drill', 'II', [A], { drill: true, started_at: '2026-07-02T08:00:00+08:00' })
    const real = sw('real', 'II', [A])
    expect(currentMode([drill, real], [A]).id).toBe('real')
    const newer = sw('newer', 'II', [A], { started_at: '2026-07-03T08:00:00+08:00' })
    expect(currentMode([real, newer], [A]).id).toBe('newer')
  })

  it('with no grid of my own (a street admin), the most severe switch pulled for my area', () => {
    expect(currentMode([sw('iii', 'III', [A]), sw('ii', 'II', [C])], [])?.id).toBe('ii')
    expect(currentMode([sw('r', 'II', [A], { state: 'requested' })], [])).toBeNull()
  })
})

describe('modesByGrid', () => {
  it("gives each grid its most severe active switch (the map's colours)", () => {
    const modes = modesByGrid([sw('iv', 'IV', [A, B]), sw('ii', 'II', [B]), sw('x', 'I', [C], { state: 'ended' })])
    expect(Object.fromEntries(Object.entries(modes).map(([k, v]) => [k, v.id]))).toEqual({ [A]: 'iv', [B]: 'ii' })
  })
})

describe('taskOrder', () => {
  it('puts emergency tasks first, the more severe switch first, then by deadline', () => {
    const byId = { ii: sw('ii', 'II', [A]), iv: sw('iv', 'IV', [A]) }
    const tasks = [
      { id: 'normal-early', deadline: '2026-07-01T09:00:00Z' },
      { id: 'iv', emergency_id: 'iv', deadline: '2026-07-01T10:00:00Z' },
      { id: 'ii-late', emergency_id: 'ii', deadline: '2026-07-02T10:00:00Z' },
      { id: 'ii-early', emergency_id: 'ii', deadline: '2026-07-01T11:00:00Z' },
      { id: 'unknown-switch', emergency_id: 'gone', deadline: '2026-07-01T08:00:00Z' },
    ]
    expect(tasks.sort(taskOrder(byId)).map((t) => t.id)).toEqual(['ii-early', 'ii-late', 'unknown-switch', 'iv', 'normal-early'])
  })

  it('orders deadlines as instants, whatever offset each is written in', () => {
    const byId = { ii: sw('ii', 'II', [A]) }
    const tasks = [
      { id: 'later', emergency_id: 'ii', deadline: '2026-07-01T13:00:00Z' },
      { id: 'sooner', emergency_id: 'ii', deadline: '2026-07-01T20:00:00+08:00' }, // 12:00Z
    ]
    expect(tasks.sort(taskOrder(byId)).map((t) => t.id)).toEqual(['sooner', 'later'])
  })
})

describe('awaitingMe', () => {
  it('lists the open roll-calls asking me that I have not answered, newest first', () => {
    const calls = [
      { id: 'a', created_at: '2026-07-01T08:00:00Z', mine: { asked: true, acknowledged_at: null }, closed_at: null },
      { id: 'b', created_at: '2026-07-01T09:00:00Z', mine: { asked: true, acknowledged_at: null }, closed_at: null },
      { id: 'answered', created_at: '2026-07-01T09:00:00Z', mine: { asked: true, acknowledged_at: '2026-07-01T09:01:00Z' }, closed_at: null },
      { id: 'closed', created_at: '2026-07-01T09:00:00Z', mine: { asked: true, acknowledged_at: null }, closed_at: '2026-07-01T10:00:00Z' },
      { id: 'not-me', created_at: '2026-07-01T09:00:00Z', mine: { asked: false, acknowledged_at: null }, closed_at: null },
    ]
    expect(awaitingMe(calls).map((c) => c.id)).toEqual(['b', 'a'])
  })
})

describe('messageTarget', () => {
  it('leads to the task, the incident, or the mode screen', () => {
    expect(messageTarget({ entity: 'task', entity_id: 't1' })).toEqual({ name: 'task', params: { id: 't1' } })
    expect(messageTarget({ entity: 'rollcall', entity_id: 'r1' })).toEqual({ name: 'mode', query: { rollcall: 'r1' } })
    expect(messageTarget({ entity: 'emergency', entity_id: 's1' })).toEqual({ name: 'mode', query: { switch: 's1' } })
    expect(messageTarget({ entity: null, entity_id: null })).toBeNull()
  })
})

describe('level colours', () => {
  // WCAG's relative luminance and contrast ratio.
  const luminance = (hex) => {
    const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    const [r, g, b] = channels.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
  }
  const full = (hex) => (hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex)
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(full(a)), luminance(full(b))].sort((x, y) => y - x)
    return (hi + 0.05) / (lo + 0.05)
  }

  it.each(Object.keys(COLOURS))('the %s banner reads at 4.5:1 or more', (colour) => {
    const { background, color } = levelStyle(colour)
    expect(contrast(background, color)).toBeGreaterThanOrEqual(4.5)
  })
})
