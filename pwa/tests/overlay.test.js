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
