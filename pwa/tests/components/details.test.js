// @vitest-environment happy-dom
// What a member sees of work done (a task's completion, an incident's case), and the one form
// that completes a task.
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import IncidentCard from '../../src/components/IncidentCard.vue'
import { useSession } from '../../src/stores/session.js'
import { useSync } from '../../src/stores/sync.js'
import IncidentDetailView from '../../src/views/incidents/IncidentDetailView.vue'
import TaskDetailView from '../../src/views/tasks/TaskDetailView.vue'
import { mountWith, setUp } from './mount.js'

vi.mock('../../src/components/LocationPicker.vue', () => ({ __esModule: true, default: { name: 'LocationPicker', props: ['point', 'label', 'readonly'], render: () => null } }))

const ME = { id: 7, name: '王网格', role: 'grid_member', units: [] }
const AT = new Date(2026, 11, 2, 5, 38).toISOString() // 12月2日 05:38 where the test runs
const TASK = '11111111-1111-4111-8111-111111111111'
const INCIDENT = '3f2a9c1b-1111-4111-8111-111111111111'
const task = (extra) => ({
  id: TASK,
  title: '清理楼道杂物',
  state: 'open',
  capacity: 1,
  claimed: 1,
  mine: true,
  holders: [{ user_id: ME.id, name: ME.name }],
  target: '清理完毕',
  responsible: { id: 1, name: '李书记' },
  deadline: '2026-12-05T18:00:00+08:00',
  photos: [],
  ...extra,
})

async function screen(component, props, entities, state = {}) {
  const plugins = setUp()
  useSession().$patch({ me: ME })
  // Offline: the screens show what the phone holds (no history read from the server).
  useSync().$patch({ online: false, entities, ...state })
  const wrapper = mountWith(component, { props, plugins })
  await flushPromises()
  return wrapper
}

beforeEach(() => {
  URL.createObjectURL = vi.fn(() => 'blob:x')
  URL.revokeObjectURL = vi.fn()
})

describe('a task I completed', () => {
  it('shows when it was done, by me, with the note and the photos', async () => {
    const done = task({
      state: 'completed',
      completed_at: AT,
      completion_note: '已清理，通道畅通',
      photos: [{ sha256: 'a'.repeat(64), kind: 'after', available: true }],
    })
    const wrapper = await screen(TaskDetailView, { id: TASK }, [{ entity: 'task', id: TASK, data: done }])
    const completion = wrapper.find('.done')
    expect(completion.text()).toContain('完成时间')
    expect(completion.text()).toContain('2026年12月2日 05:38')
    expect(completion.text()).toContain('完成人')
    expect(completion.text()).toContain(ME.name)
    expect(completion.text()).toContain('已清理，通道畅通')
    // The phone has no copy of it: the server's thumbnail (PhotoThumb reads IndexedDB first).
    await vi.waitFor(() => expect(wrapper.find('[aria-label="处置照片"] img').attributes('src')).toBe(`/api/photos/${'a'.repeat(64)}/thumb`))
  })
})

describe('completing a task', () => {
  it('is one form at a time: the progress note, or the completion with its evidence', async () => {
    const wrapper = await screen(TaskDetailView, { id: TASK }, [{ entity: 'task', id: TASK, data: task() }])
    expect(wrapper.findAll('textarea')).toHaveLength(1)
    expect(wrapper.findAll('.van-button--primary:not(.van-button--plain)')).toHaveLength(0)
    await wrapper.findAll('button').find((b) => b.text() === '完成任务').trigger('click')
    expect(wrapper.findAll('textarea')).toHaveLength(1)
    expect(wrapper.findAll('.van-button--primary:not(.van-button--plain)').map((b) => b.text())).toEqual(['提交完成'])
    expect(wrapper.text()).not.toContain('提交进展')
    await wrapper.findAll('button').find((b) => b.text() === '取消').trigger('click')
    expect(wrapper.text()).toContain('提交进展')
  })
})

describe('an incident', () => {
  const incident = {
    id: INCIDENT,
    description: '楼道堆放杂物',
    category: { code: 'clutter', name: '乱堆乱放' },
    state: 'handled',
    lat: 27.7,
    lng: 109.2,
    reporter: { id: ME.id, name: ME.name },
    reported_at: AT,
    photos: [
      { sha256: 'b'.repeat(64), kind: 'close_up', available: true },
      { sha256: 'c'.repeat(64), kind: 'after', available: false },
    ],
  }

  it('shows its case number, the map, the photos found and done, and its timeline', async () => {
    const wrapper = await screen(IncidentDetailView, { id: INCIDENT }, [{ entity: 'incident', id: INCIDENT, data: incident }])
    expect(wrapper.find('.case-number').text()).toContain('3F2A9C1B')
    expect(wrapper.findComponent({ name: 'LocationPicker' }).props('point')).toMatchObject({ lat: 27.7, lng: 109.2 })
    expect(wrapper.find('[aria-label="现场照片"]').exists()).toBe(true)
    expect(wrapper.find('[aria-label="处置照片"]').exists()).toBe(true)
    const timeline = wrapper.find('.timeline')
    expect(timeline.text()).toContain('上报')
    expect(timeline.text()).toContain(ME.name)
    expect(timeline.text()).toContain('2026年12月2日 05:38')
  })

  it('on a card, says its photos are not all sent instead of 已同步', async () => {
    const plugins = setUp()
    useSync().$patch({ photosWaiting: ['c'.repeat(64)] })
    const card = mountWith(IncidentCard, { props: { incident }, plugins })
    expect(card.find('.sync-tag').text()).toBe('1 张照片待上传')
    useSync().$patch({ photosWaiting: [] })
    await card.vm.$nextTick()
    expect(card.find('.sync-tag').text()).toBe('已同步')
  })
})
