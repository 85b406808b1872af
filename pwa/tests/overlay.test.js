import { describe, expect, it } from 'vitest'
import { overlay } from '../src/sync/overlay.js'

const ME = { id: 7, name: '王网格' }
const photo = (sha256) => ({ sha256, kind: 'after', taken_at: '2026-12-02T05:38:00+08:00' })

describe('overlay of work done on the phone', () => {
  it.each([
    ['task', 'task.complete', { note: '已清理' }],
    ['incident', 'incident.handle', { note: '已处置' }],
  ])('a %s shows the photos of %s before the server has them, each once', (entity, type, args) => {
    const pulled = [{ entity, id: 'x', data: { id: 'x', state: entity === 'task' ? 'open' : 'in_progress', photos: [{ sha256: 'old', kind: 'close_up', available: true }] } }]
    const command = { command_id: 'c1', seq: 1, type, state: 'pending', created_at: '2026-12-02T05:38:00Z', device_time: '2026-12-02T05:38:00+08:00', args: { id: 'x', ...args, photos: [photo('new'), photo('old')] } }
    const shown = overlay(pulled, [command], ME)[`${entity === 'task' ? 'tasks' : 'incidents'}`][0]
    expect(shown.photos.map((p) => [p.sha256, p.available])).toEqual([
      ['old', true],
      ['new', false],
    ])
    if (entity === 'task') expect(shown).toMatchObject({ state: 'completed', completion_note: '已清理', completed_at: command.device_time })
  })
})

describe('overlay of wishes and activities', () => {
  const at = '2026-12-02T05:38:00Z'
  const cmd = (seq, type, args) => ({ command_id: `c${seq}`, seq, type, state: 'pending', created_at: at, device_time: at, args })

  it('a claim offline moves the wish off the wall into my claims, and fulfilling it shows the photo', () => {
    const pulled = [{ entity: 'wish', id: 'w', data: { id: 'w', state: 'published', mine: false, photos: [] } }]
    const claimed = overlay(pulled, [cmd(1, 'wish.claim', { id: 'w' })], ME).wishes[0]
    expect(claimed).toMatchObject({ state: 'claimed', mine: true })
    const done = overlay(pulled, [cmd(1, 'wish.claim', { id: 'w' }), cmd(2, 'wish.fulfil', { id: 'w', photos: [photo('p')], confirmed: true })], ME).wishes[0]
    expect(done.state).toBe('fulfilled')
    expect(done.photos.map((p) => [p.sha256, p.available])).toEqual([['p', false]])
    expect(done.pending.map((p) => p.type)).toEqual(['wish.claim', 'wish.fulfil'])
    const delivered = overlay(pulled, [cmd(1, 'wish.claim', { id: 'w' }), cmd(2, 'wish.fulfil', { id: 'w', photos: [photo('p')] })], ME).wishes[0]
    expect(delivered.state).toBe('delivered')
  })

  it('a wish recorded offline shows at once, waiting to be verified', () => {
    const args = { id: 'n', grid: '520602001001001', category: 'study', need: '课外书', place: '学府路', beneficiary_name: '杨', address: '学府路1号' }
    expect(overlay([], [cmd(1, 'wish.record', args)], ME).wishes[0]).toMatchObject({ id: 'n', state: 'recorded', need: '课外书', local: true })
  })

  it('a cancelled claim puts the wish back on the wall with the reason', () => {
    const pulled = [{ entity: 'wish', id: 'w', data: { id: 'w', state: 'claimed', mine: true } }]
    expect(overlay(pulled, [cmd(1, 'wish.cancel', { id: 'w', reason: '出差' })], ME).wishes[0]).toMatchObject({ state: 'published', mine: false, reason: '出差' })
  })

  it('sign-up, check-in and check-out show at once, at the times the phone gave', () => {
    const pulled = [{ entity: 'activity', id: 'a', data: { id: 'a', signed_up: 3, capacity: 5, mine: null } }]
    const commands = [cmd(1, 'activity.sign_up', { id: 'a' }), cmd(2, 'activity.check_in', { id: 'a', lat: 27.7, lng: 109.2, device_time: '2026-12-02T06:00:00Z' })]
    const shown = overlay(pulled, commands, ME).activities[0]
    expect(shown.signed_up).toBe(4)
    expect(shown.mine).toMatchObject({ signed_up_at: at, checked_in_at: '2026-12-02T06:00:00Z' })
  })
})
