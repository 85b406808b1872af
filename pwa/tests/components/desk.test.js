// @vitest-environment happy-dom
// The desk's pieces: the decisions each state offers, the case's panel (the evidence before
// and after side by side, enlarged on a tap, the point in its grid, the timeline, the
// decisions), and the picker (the server's order, searched by name or phone).
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { landing } from '../../src/lib/landing.js'
import { incidentDecisions, taskDecisions } from '../../src/views/desk/decisions.js'
import DecisionDialog from '../../src/views/desk/DecisionDialog.vue'
import { ApiError } from '../../src/sync/api.js'
import IncidentPanel from '../../src/views/desk/IncidentPanel.vue'
import MemberPicker from '../../src/views/desk/MemberPicker.vue'
import OverviewView from '../../src/views/desk/OverviewView.vue'
import { mountWith } from './mount.js'

const answers = {}
const asked = []
const posted = [] // [path, body] of each POST
let refuse = () => null // (path) → an error the server answers with, or null
vi.mock('../../src/services.js', () => ({
  api: {
    get: async (path) => {
      asked.push(path)
      return answers[path]
    },
    post: async (path, body) => {
      posted.push([path, body])
      const error = refuse(path)
      if (error) throw error
      return path === '/api/tasks' ? { id: 'task-1', ...body } : {}
    },
  },
  db: { blobs: { get: async () => null } },
}))
vi.mock('../../src/components/LocationPicker.vue', () => ({
  __esModule: true,
  default: { name: 'LocationPicker', props: ['point', 'label', 'readonly', 'grids', 'mine'], render: () => null },
}))
HTMLDialogElement.prototype.showModal ||= function () {
  this.open = true
}

beforeEach(() => {
  asked.length = 0
  posted.length = 0
  refuse = () => null
})

describe('decisions', () => {
  it.each([
    ['reported', ['accept', 'reject']],
    ['accepted', ['dispatch', 'escalate']],
    ['dispatched', ['redispatch', 'escalate']],
    ['in_progress', ['redispatch', 'escalate']],
    ['handled', ['check_pass', 'check_fail', 'escalate']],
  ])('an incident %s offers %j', (state, kinds) => {
    expect(incidentDecisions({ state }).map((x) => x.kind)).toEqual(kinds)
  })

  it.each([
    [{ state: 'open', claimed: 0, capacity: 1 }, ['assign_task']],
    [{ state: 'open', claimed: 1, capacity: 1 }, []],
    [{ state: 'completed', claimed: 1, capacity: 1 }, ['verify_pass', 'verify_fail']],
    [{ state: 'verified', claimed: 1, capacity: 1 }, []],
  ])('a task %j offers %j', (task, kinds) => {
    expect(taskDecisions(task).map((x) => x.kind)).toEqual(kinds)
  })
})

const ID = '3f2a9c1b-1111-4111-8111-111111111111'
const ROW = { id: ID, description: '路灯不亮', state: 'handled', grid: { code: 'G1', name: '第一网格' }, lat: 27.7, lng: 109.2, photos: [] }
const DETAIL = {
  ...ROW,
  category: { code: 'x', name: '市政设施' },
  reporter: { id: 1, name: '赵网格' },
  assignee: { id: 1, name: '赵网格' },
  reported_at: '2026-12-02T05:38:00+08:00',
  photos: [
    { sha256: 'a'.repeat(64), kind: 'close_up', available: true },
    { sha256: 'b'.repeat(64), kind: 'after', available: true },
  ],
  history: [
    { action: 'report', actor_name: '赵网格', at: '2026-12-02T05:38:00+08:00', note: null },
    { action: 'handle', actor_name: '赵网格', at: '2026-12-02T07:00:00+08:00', note: '已更换灯泡' },
  ],
}

describe('IncidentPanel', () => {
  it('shows before and after side by side, the timeline with notes, and the decisions of its state', async () => {
    answers[`/api/incidents/${ID}`] = DETAIL
    const wrapper = mountWith(IncidentPanel, { props: { incident: ROW } })
    await flushPromises()
    const sides = wrapper.findAll('.evidence.pair > section').map((s) => s.find('h3').text())
    expect(sides).toEqual(['处置前', '处置后'])
    expect(wrapper.find('.facts').text()).toContain('3F2A9C1B')
    expect(wrapper.find('.facts').text()).toContain('赵网格')
    expect(wrapper.find('.timeline').text()).toContain('已更换灯泡')
    expect(wrapper.findComponent({ name: 'LocationPicker' }).props('mine')).toEqual(['G1'])
    const buttons = wrapper.findAll('.buttons button').map((b) => b.text())
    expect(buttons).toEqual(['核查通过', '核查不通过', '上报街道'])
    await wrapper.find('.buttons button').trigger('click')
    expect(wrapper.emitted('decide')[0]).toEqual(['check_pass'])
  })

  it('enlarges a photo on a tap, from the server in full', async () => {
    answers[`/api/incidents/${ID}`] = DETAIL
    const wrapper = mountWith(IncidentPanel, { props: { incident: ROW } })
    await flushPromises()
    await wrapper.findAll('.thumb-button')[1].trigger('click')
    await flushPromises()
    expect(wrapper.find('dialog.viewer').element.open).toBe(true)
    expect(wrapper.find('dialog.viewer img').attributes('src')).toBe(`/api/photos/${'b'.repeat(64)}`)
  })

  it('reads the case again when the queue brings it anew', async () => {
    answers[`/api/incidents/${ID}`] = DETAIL
    const wrapper = mountWith(IncidentPanel, { props: { incident: ROW } })
    await flushPromises()
    await wrapper.setProps({ incident: { ...ROW, state: 'closed' } })
    await flushPromises()
    expect(asked.filter((p) => p === `/api/incidents/${ID}`)).toHaveLength(2)
  })
})

const person = (id, name, extra = {}) => ({ id, name, role: 'grid_member', force: null, phone: `1380000000${id}`, units: [{ code: 'G1', name: '第一网格' }], own_grid: true, open_cases: 0, open_tasks: 0, ...extra })

describe('MemberPicker', () => {
  it('lists in the order given, each with role, where and load; searching asks again; a choice is the person', async () => {
    vi.useFakeTimers()
    const search = vi.fn(async (q) => (q ? [person(2, '李强')] : [person(1, '王芳', { open_cases: 2 }), person(2, '李强', { role: 'team_member', force: 'community_main', own_grid: false, units: [{ code: 'C1', name: '河畔社区' }] })]))
    const wrapper = mountWith(MemberPicker, { props: { search, label: '网格员' } })
    await flushPromises()
    const rows = wrapper.findAll('label.choice').map((r) => r.text())
    expect(rows[0]).toContain('王芳')
    expect(rows[0]).toContain('本网格')
    expect(rows[0]).toContain('在办 2 件')
    expect(rows[1]).toContain('网格综合队员 · 社区主体力量')
    expect(rows[1]).toContain('河畔社区')
    await wrapper.find('input[type="search"]').setValue('李')
    vi.advanceTimersByTime(300)
    await flushPromises()
    expect(search).toHaveBeenLastCalledWith('李')
    expect(wrapper.findAll('label.choice')).toHaveLength(1)
    await wrapper.find('input[type="radio"]').setValue()
    expect(wrapper.emitted('update:modelValue')[0][0]).toMatchObject({ id: 2, name: '李强' })
    vi.useRealTimers()
  })
})

describe('DecisionDialog', () => {
  const GRIDS = [{ code: 'G1', name: '第一网格' }]
  const open = async (kind, target) => {
    const wrapper = mountWith(DecisionDialog, { props: { grids: GRIDS } })
    wrapper.vm.open(kind, target)
    await flushPromises()
    return wrapper
  }
  const confirm = (wrapper) => wrapper.findAll('button').find((b) => b.text() === '确定')

  it('a refusal stays in the dialog with the reason, in Chinese; a retry that passes closes it', async () => {
    refuse = () => new ApiError(409, { error: { code: 'invalid_state', message: 'Incident is closed.', fields: {} } })
    const wrapper = await open('reject', ROW)
    expect(wrapper.find('h2').text()).toBe('不予立案')
    expect(wrapper.find('.meta').text()).toBe('路灯不亮')
    expect(confirm(wrapper).attributes('disabled')).toBeDefined() // a rejection needs its reason
    await wrapper.find('textarea').setValue('重复上报')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(posted).toEqual([[`/api/incidents/${ID}/reject`, { reason: '重复上报' }]])
    expect(wrapper.find('dialog').element.open).toBe(true)
    const said = wrapper.find('[role="alert"]').text()
    expect(said).not.toBe('')
    expect(said).not.toMatch(/Incident is closed/)
    expect(wrapper.emitted('done')).toBeUndefined()

    refuse = () => null
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('dialog').element.open).toBe(false)
    expect(wrapper.emitted('done')).toEqual([['reject']])
  })

  it('a new task given to a member who cannot take it is made once: the second try only gives it', async () => {
    answers['/api/dispatch/members'] = [{ id: 5, name: '王芳', phone: '13800000005', role: 'grid_member', grid: GRIDS[0] }]
    refuse = (path) => (path === '/api/dispatch/assign' ? new ApiError(409, { error: { code: 'full', message: 'full', fields: {} } }) : null)
    const wrapper = await open('new_task')
    await wrapper.find('input[aria-label="任务名称"]').setValue('清理楼道')
    await wrapper.find('textarea[aria-label="目标（定目标）"]').setValue('楼道畅通')
    await flushPromises()
    await wrapper.find('input[type="radio"]').setValue()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(posted.map(([path]) => path)).toEqual(['/api/tasks', '/api/dispatch/assign'])
    expect(wrapper.find('dialog').element.open).toBe(true)

    refuse = () => null
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(posted.map(([path]) => path)).toEqual(['/api/tasks', '/api/dispatch/assign', '/api/dispatch/assign'])
    expect(posted.at(-1)[1]).toEqual({ assignments: [{ task_id: 'task-1', user_id: 5 }] })
    expect(wrapper.emitted('done')).toEqual([['new_task']])
  })
})

describe('landing', () => {
  it.each([
    ['grid_member', '/'],
    ['team_member', '/'],
    ['secretary', '/desk'],
    ['street_admin', '/overview'],
    ['district_admin', '/overview'],
    ['department', '/called'],
    ['party_member', '/wishes'],
    ['liaison', '/households'],
    ['hotline_operator', '/hotline'],
    ['a_new_role', '/'], // a role with no screen of its own lands at home
  ])('%s lands on %s', (role, path) => {
    expect(landing(role).path).toBe(path)
  })
})

describe('OverviewView', () => {
  it('shows the area in figures, and each community a tap from its desk', async () => {
    const figures = (code, name, open, overdue = 0, switches = 0) => ({ code, name, level: 'community', open, overdue, escalated: 0, switches })
    answers['/api/dispatch/overview'] = {
      unit: { code: 'S1', name: '环北街道', level: 'street' },
      open: 3,
      overdue: 1,
      escalated: 0,
      switches: 1,
      units: [figures('S1C1', '北门社区', 3, 1, 1), figures('S1C2', '两板桥社区', 0)],
    }
    const wrapper = mountWith(OverviewView)
    await flushPromises()
    expect(wrapper.findAll('.figure strong').map((x) => x.text())).toEqual(['3', '1', '0', '1'])
    const rows = wrapper.findAll('.units li')
    expect(rows[0].attributes('aria-label')).toBe('北门社区：在办 3，超时 1，上报 0，应急 1')
    expect(rows[0].find('a').attributes('href')).toBe('/desk?community=S1C1')
    expect(rows[1].text()).not.toContain('进行中的应急响应')
  })
})
