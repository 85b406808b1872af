import { describe, expect, it } from 'vitest'
import { myHistory, routeOf } from '../src/lib/history.js'
import { overlay, target } from '../src/sync/overlay.js'

const ME = { id: 7, name: '彭旭' }
const OTHER = { id: 8, name: '付颖强' }

const pulled = (entity, data) => ({ entity, id: data.id, data })

const entities = [
  // reported by me, on the server
  pulled('incident', { id: 'a1', description: '井盖缺失', reporter: { id: 7 }, reported_at: '2026-11-26T09:00:00+08:00', state: 'accepted' }),
  // reported by someone else
  pulled('incident', { id: 'b2', description: '路灯不亮', reporter: { id: 8 }, reported_at: '2026-11-26T10:00:00+08:00', state: 'pending' }),
  // a task I hold and completed
  pulled('task', {
    id: 11,
    title: '巡查河道',
    holders: [{ user_id: 7, name: '彭旭', claimed_at: '2026-11-25T08:00:00+08:00' }],
    mine: true,
    state: 'completed',
    completed_at: '2026-11-25T16:00:00+08:00',
  }),
  // a task someone else holds
  pulled('task', { id: 12, title: '清理垃圾', holders: [{ user_id: 8, claimed_at: '2026-11-26T08:00:00+08:00' }], state: 'open' }),
  // an open task nobody holds yet
  pulled('task', { id: 13, title: '入户走访', holders: [], state: 'open', claimed: 0, capacity: 2 }),
  pulled('rollcall', { id: 5, message: '请立即应答', mine: { asked: true, acknowledged_at: '2026-11-26T20:00:00+08:00' } }),
  pulled('rollcall', { id: 6, message: '第二次叫应', mine: { asked: true, acknowledged_at: null } }),
  pulled('message', { id: 90, title: '派单', read_at: null }),
]

const command = (n, type, args, extra = {}) => ({
  command_id: `c${n}`,
  user_id: ME.id,
  seq: n,
  type,
  args,
  state: 'pending',
  device_time: `2026-11-27T0${n}:00:00+08:00`,
  created_at: `2026-11-27T0${n}:00:00+08:00`,
  ...extra,
})

function history(commands) {
  // as the app does: only this user's outbox rows reach the overlay
  const view = overlay(entities, commands.filter((c) => c.user_id === ME.id), ME)
  return myHistory({ view, commands, userId: ME.id, target })
}

describe('myHistory', () => {
  it('lists what the server says I did, newest first, and nothing of others', () => {
    const items = history([])
    expect(items.map((i) => [i.type, String(i.id), i.state])).toEqual([
      ['rollcall.ack', '5', 'done'],
      ['incident.report', 'a1', 'done'],
      ['task.complete', '11', 'done'],
      ['task.claim', '11', 'done'],
    ])
    expect(items[1]).toMatchObject({ title: '井盖缺失', to: { name: 'incident', params: { id: 'a1' } } })
    expect(items[3].to).toEqual({ name: 'task', params: { id: '11' } })
    expect(items[0].to).toEqual({ name: 'mode' })
  })

  it('adds the outbox (an offline report, a claim, an answer) with its state, and skips message reads', () => {
    const commands = [
      command(1, 'incident.report', { id: 'new-1', description: '围墙开裂', lat: 27.7, lng: 109.2 }, { meta: { title: '围墙开裂' } }),
      command(2, 'task.claim', { id: 13 }, { meta: { title: '入户走访' } }),
      command(3, 'rollcall.ack', { id: 6 }, { state: 'sent' }),
      command(4, 'message.read', { id: 90 }),
    ]
    const items = history(commands)
    expect(items.slice(0, 3).map((i) => [i.type, String(i.id), i.state, i.title])).toEqual([
      ['rollcall.ack', '6', 'sent', '第二次叫应'],
      ['task.claim', '13', 'pending', '入户走访'],
      ['incident.report', 'new-1', 'pending', '围墙开裂'],
    ])
    expect(items.some((i) => i.type === 'message.read')).toBe(false)
    // the offline report opens its (local) incident
    expect(items[2].to).toEqual({ name: 'incident', params: { id: 'new-1' } })
  })

  it('tells an action once when both the outbox and the pulled data have it', () => {
    // A claim sent and already pulled back: the holder row and the sent command.
    const claimed = [
      ...entities.filter((e) => !(e.entity === 'task' && e.id === 13)),
      pulled('task', { id: 13, title: '入户走访', holders: [{ user_id: 7, claimed_at: '2026-11-27T02:00:00+08:00' }], mine: true, state: 'open' }),
    ]
    const commands = [command(2, 'task.claim', { id: 13 }, { state: 'sent' })]
    const items = myHistory({ view: overlay(claimed, commands, ME), commands, userId: ME.id, target })
    const claims = items.filter((i) => i.type === 'task.claim' && String(i.id) === '13')
    expect(claims).toHaveLength(1)
    expect(claims[0].state).toBe('sent')
  })

  it('keeps a rejected action with its state, and leaves out other users’ commands', () => {
    const commands = [command(1, 'task.claim', { id: 12 }, { state: 'rejected', error: { code: 'task_full' } }), command(2, 'task.claim', { id: 13 }, { user_id: OTHER.id })]
    const items = history(commands)
    expect(items.filter((i) => i.type === 'task.claim').map((i) => [String(i.id), i.state])).toEqual([
      ['12', 'rejected'],
      ['11', 'done'],
    ])
  })

  it('keeps the newest ones only', () => {
    const commands = Array.from({ length: 9 }, (_, i) => command(i + 1, 'incident.report', { id: `r${i}`, description: `第${i}件` }))
    const items = myHistory({ view: overlay(entities, commands, ME), commands, userId: ME.id, target, limit: 3 })
    expect(items.map((i) => i.id)).toEqual(['r8', 'r7', 'r6'])
  })
})

describe('routeOf', () => {
  it('opens incidents, tasks, and the mode screen for roll-calls', () => {
    expect(routeOf('task', 3)).toEqual({ name: 'task', params: { id: '3' } })
    expect(routeOf('emergency', 1)).toEqual({ name: 'mode' })
    expect(routeOf('message', 1)).toBeNull()
    expect(routeOf('task', null)).toBeNull()
  })
})
