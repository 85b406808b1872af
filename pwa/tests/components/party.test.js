// @vitest-environment happy-dom
// The secretaries' party screens' parts: a wish's actions by its state (a reason required to
// refuse or withdraw, the server's refusal shown on the field), and a member's particulars.
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import MemberForm from '../../src/views/party/MemberForm.vue'
import ProblemCard from '../../src/views/party/ProblemCard.vue'
import WishQueue from '../../src/views/party/WishQueue.vue'
import { useBranches } from '../../src/views/party/branches.js'
import { mountWith } from './mount.js'

const calls = []
let refuse = null
vi.mock('../../src/services.js', () => ({
  api: {
    post: async (path, body) => {
      calls.push([path, body])
      if (refuse) throw refuse
      return {}
    },
  },
}))

const wish = (id, state, extra = {}) => ({ id, state, need: `心愿${id}`, category: 'repair', place: '3栋附近', ...extra })
const buttons = (wrapper) => wrapper.findAll('button').map((b) => b.text())

describe('WishQueue (核实, 撤回, 代确认)', () => {
  beforeEach(() => {
    calls.length = 0
    refuse = null
  })

  it.each([
    ['recorded', ['核实通过', '不予发布']],
    ['published', ['撤回']],
    ['claimed', []],
    ['delivered', ['代受益人确认']],
    ['fulfilled', []],
    ['withdrawn', []],
  ])('a %s wish offers %j', async (state, offered) => {
    const wrapper = mountWith(WishQueue, { props: { wishes: [wish('a', state)] } })
    await flushPromises()
    expect(buttons(wrapper)).toEqual(offered)
  })

  it('verifies at once; refusing and withdrawing wait for a reason, and send it', async () => {
    const wrapper = mountWith(WishQueue, { props: { wishes: [wish('a', 'recorded'), wish('b', 'published')] } })
    await flushPromises()
    await wrapper.findAll('button').find((b) => b.text() === '核实通过').trigger('click')
    await flushPromises()
    expect(calls).toEqual([['/api/wishes/a/verify', { passed: true }]])
    expect(wrapper.emitted('changed')).toHaveLength(1)

    await wrapper.findAll('button').find((b) => b.text() === '撤回').trigger('click')
    const send = () => wrapper.findAll('button[type=submit]')[0]
    expect(send().attributes('disabled')).toBeDefined()
    await wrapper.find('input[name=reason]').setValue('  已由家属解决 ')
    await send().trigger('submit')
    await flushPromises()
    expect(calls[1]).toEqual(['/api/wishes/b/withdraw', { reason: '已由家属解决' }])
  })

  it('shows the server’s refusal on the reason it names, and keeps the form open', async () => {
    refuse = Object.assign(new Error('x'), { status: 409, code: 'wrong_state', fields: { reason: ['x'] } })
    const wrapper = mountWith(WishQueue, { props: { wishes: [wish('b', 'published')] } })
    await flushPromises()
    await wrapper.findAll('button').find((b) => b.text() === '撤回').trigger('click')
    await wrapper.find('input[name=reason]').setValue('重复登记')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('.van-field__error-message').text()).toBe('当前状态下不能进行此操作')
    expect(wrapper.emitted('changed')).toBeUndefined()
  })
})

describe('MemberForm (党员信息)', () => {
  it('asks a 流动党员 where from, and sends no origin for one who is not', async () => {
    const saved = []
    const save = async (body) => saved.push(body)
    const wrapper = mountWith(MemberForm, { props: { member: { name: '李四', type: 'probationary', mobile: false, origin: null }, save } })
    await flushPromises()
    expect(wrapper.find('input[name=origin]').exists()).toBe(false)
    await wrapper.find('select[name=type]').setValue('full')
    await wrapper.find('.van-checkbox').trigger('click')
    await flushPromises()
    const submit = wrapper.find('button[type=submit]')
    expect(submit.attributes('disabled')).toBeDefined() // a mobile member needs the origin
    await wrapper.find('input[name=origin]').setValue('思南县')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(saved).toEqual([{ name: '李四', type: 'full', mobile: true, origin: '思南县' }])
    expect(wrapper.emitted('done')).toHaveLength(1)
  })
})

describe('ProblemCard (议定事项, 销号)', () => {
  const meeting = { id: 'm1', attendees: [{ user: { id: 5, name: '郑书记' }, attended: true }] }
  const problem = { id: 3, state: 'open', description: '路灯损坏', raised_by: { id: 5, name: '郑书记' }, decisions: [] }

  beforeEach(() => {
    calls.length = 0
    refuse = null
  })

  it('a street meeting’s decision names its community, and goes with the 五定 it needs', async () => {
    const communities = [{ code: '520602002001', name: '北门社区' }]
    const wrapper = mountWith(ProblemCard, { props: { meeting, problem, runs: true, communities } })
    await flushPromises()
    await wrapper.findAll('button').find((b) => b.text() === '议定事项').trigger('click')
    await wrapper.find('input[aria-label="郑书记"]').setValue(true)
    await wrapper.find('textarea[name=measure]').setValue('更换路灯')
    await wrapper.find('input[name=deadline]').setValue('2026-12-20T18:00')
    const submit = wrapper.find('form button[type=submit]')
    expect(submit.attributes('disabled')).toBeDefined() // no community yet
    await wrapper.find('select[name=community]').setValue('520602002001')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls).toEqual([
      [
        '/api/meetings/m1/problems/3/decisions',
        { responsible_id: 5, community: '520602002001', measure: '更换路灯', deadline: new Date('2026-12-20T18:00').toISOString() },
      ],
    ])
    expect(wrapper.emitted('changed')).toHaveLength(1)
  })

  it('a closed problem says so and offers nothing; one who does not convene only reads', async () => {
    const closed = { ...problem, state: 'closed', closed_at: '2026-12-02T10:00:00+00:00', close_note: null }
    const wrapper = mountWith(ProblemCard, { props: { meeting, problem: closed, runs: true } })
    await flushPromises()
    expect(wrapper.find('[data-test=problem-state]').text()).toBe('已销号')
    expect(wrapper.findAll('button')).toHaveLength(0)
    const reader = mountWith(ProblemCard, { props: { meeting, problem } })
    await flushPromises()
    expect(reader.find('[data-test=problem-state]').text()).toBe('未销号')
    expect(reader.findAll('button')).toHaveLength(0)
  })
})

describe('useBranches (the map names each grid’s branch)', () => {
  it('names a grid’s branch and its secretary, and a grid without one nothing', async () => {
    const { ref } = await import('vue')
    const services = await import('../../src/services.js')
    services.api.get = async (path) => {
      calls.push([path])
      return [
        { kind: 'committee', name: '北门社区党委', unit: { code: '520602002001' }, secretary: null },
        { kind: 'branch', name: '一网格党支部', unit: { code: '520602002001001' }, secretary: { name: '李支书' } },
        { kind: 'group', name: '二网格党小组', unit: { code: '520602002001002' }, secretary: null },
      ]
    }
    calls.length = 0
    const community = ref(null)
    const online = ref(false)
    const { branchText } = useBranches(community, online)
    community.value = '520602002001'
    await flushPromises()
    expect(calls).toEqual([]) // offline: nothing asked
    online.value = true
    await flushPromises()
    expect(calls).toEqual([['/api/party/orgs?community=520602002001']])
    expect(branchText.value('520602002001001')).toBe('一网格党支部 · 书记 李支书')
    expect(branchText.value('520602002001002')).toBe('二网格党小组')
    expect(branchText.value('520602002001003')).toBe('')
  })
})
