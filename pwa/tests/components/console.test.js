// @vitest-environment happy-dom
// The console at district scale: the figures as a tree a leader opens, the silent named on
// demand (grouped, the count first, who answers for them, a page at a time), and a live poll
// that sends its ETag and keeps what it has on a 304.
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import LevelField from '../../src/views/emergency/console/LevelField.vue'
import RollCallFigures from '../../src/views/emergency/console/RollCallFigures.vue'
import SilentList from '../../src/views/emergency/console/SilentList.vue'
import SwitchCard from '../../src/views/emergency/console/SwitchCard.vue'
import { useLivePoll } from '../../src/views/emergency/console/useLivePoll.js'
import { useUnitTree } from '../../src/views/emergency/console/useUnitTree.js'
import { mountWith } from './mount.js'

const n = (code, name, asked, acknowledged, more = {}) => ({ code, name, asked, acknowledged, outstanding: asked - acknowledged, ...more })
const FIGURES = {
  id: 'call-1',
  ...n(null, null, 9, 2),
  streets: [
    n('S1', '东街道', 6, 1, {
      communities: [n(null, '街道本级', 1, 0, { grids: [] }), n('S1C1', '河畔社区', 5, 1, { grids: [n(null, '社区本级', 1, 0), n('S1C1G1', '第一网格', 4, 1)] })],
    }),
    n('S2', '西街道', 3, 1, { communities: [n('S2C1', '山前社区', 3, 1, { grids: [n('S2C1G1', '第一网格', 3, 1)] })] }),
  ],
}

describe('useUnitTree', () => {
  it('shows the streets, and a unit opens to those below it; own people are asked for by their unit', () => {
    const { rows, toggle } = useUnitTree(ref(FIGURES))
    expect(rows.value.map((r) => r.name)).toEqual(['东街道', '西街道'])
    toggle('S1')
    expect(rows.value.map((r) => [r.name, r.depth, r.unit])).toEqual([
      ['东街道', 0, 'S1'],
      ['街道本级', 1, 'S1'],
      ['河畔社区', 1, 'S1C1'],
      ['西街道', 0, 'S2'],
    ])
    toggle('S1/S1C1')
    expect(rows.value.slice(3, 5).map((r) => [r.name, r.unit, r.outstanding])).toEqual([
      ['社区本级', 'S1C1', 1],
      ['第一网格', 'S1C1G1', 3],
    ])
    toggle('S1')
    expect(rows.value).toHaveLength(2)
  })

  it('opens a single street from the start', () => {
    const { rows } = useUnitTree(ref({ ...FIGURES, streets: [FIGURES.streets[1]] }))
    expect(rows.value.map((r) => r.name)).toEqual(['西街道', '山前社区'])
  })
})

const person = (id, name, phone = `1380000${String(id).padStart(4, '0')}`) => ({ id, name, role: 'grid_member', phone })
const group = (grid, outstanding, people, answering = [person(90, '张书记')]) => ({
  street: { code: 'S1', name: '东街道' },
  community: { code: 'S1C1', name: '河畔社区' },
  grid,
  outstanding,
  answering,
  people,
})

function fakeApi(pages) {
  const asked = []
  return {
    asked,
    get: vi.fn(async (path) => {
      asked.push(path)
      const page = Number(new URL(path, 'http://x').searchParams.get('page'))
      return { outstanding: 3, page, limit: 50, groups: pages[page - 1] || [] }
    }),
  }
}

describe('SilentList', () => {
  it('groups the silent with the count first and who answers for them, and pages on', async () => {
    const grid = { code: 'S1C1G1', name: '第一网格' }
    const api = fakeApi([[group({ code: null, name: '社区本级' }, 1, [person(1, '张书记')], [person(91, '赵街道')]), group(grid, 2, [person(2, '王芳')])], [group(grid, 2, [person(3, '李强')])]])
    const wrapper = mountWith(SilentList, { props: { api, call: 'call-1', unit: 'S1C1' } })
    await flushPromises()
    expect(api.asked[0]).toBe('/api/rollcalls/call-1/silent?page=1&limit=50&unit=S1C1')
    const heads = () => wrapper.findAll('h5').map((el) => el.text())
    expect(heads()).toEqual(['未应答 1 人 河畔社区 · 社区本级', '未应答 2 人 河畔社区 · 第一网格'])
    expect(wrapper.findAll('.answering')[1].text()).toContain('张书记')
    expect(wrapper.find('a[href="tel:13800000090"]').exists()).toBe(true)
    await wrapper.find('button.more').trigger('click')
    await flushPromises()
    // The grid's people continue in its group; nothing is left to ask for.
    expect(heads()).toHaveLength(2)
    expect(wrapper.findAll('.people')[1].text()).toContain('王芳')
    expect(wrapper.findAll('.people')[1].text()).toContain('李强')
    expect(wrapper.find('button.more').exists()).toBe(false)
  })
})

describe('RollCallFigures', () => {
  it('counts the outstanding first and names a unit’s silent only when asked', async () => {
    const api = fakeApi([[group({ code: 'S2C1G1', name: '第一网格' }, 2, [person(4, '吴网格')])]])
    const wrapper = mountWith(RollCallFigures, { props: { api, figures: FIGURES } })
    const first = wrapper.findAll('tbody tr')[0].findAll('td').map((el) => el.text())
    expect(first.slice(0, 3)).toEqual(['5', '1', '6'])
    expect(api.get).not.toHaveBeenCalled()
    await wrapper.find('[aria-label="西街道未应答名单"]').trigger('click')
    await flushPromises()
    expect(api.asked).toEqual(['/api/rollcalls/call-1/silent?page=1&limit=50&unit=S2'])
    expect(wrapper.find('.silent-list').text()).toContain('吴网格')
  })
})

describe('RollCallFigures as the live view moves', () => {
  it('asks for a unit’s silent again when its count moves, and closes the list when none are left', async () => {
    let silent = [person(4, '吴网格'), person(5, '郑网格')]
    const api = {
      asked: [],
      get: vi.fn(async (path) => {
        api.asked.push(path)
        return { outstanding: silent.length, page: 1, limit: 50, groups: [group({ code: 'S2C1G1', name: '第一网格' }, silent.length, silent)] }
      }),
    }
    const west = (acknowledged) => ({ ...FIGURES, streets: [FIGURES.streets[0], n('S2', '西街道', 3, acknowledged, { communities: [n('S2C1', '山前社区', 3, acknowledged, { grids: [n('S2C1G1', '第一网格', 3, acknowledged)] })] })] })
    const wrapper = mountWith(RollCallFigures, { props: { api, figures: west(1) } })
    await wrapper.find('[aria-label="西街道未应答名单"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('.silent-list').text()).toContain('郑网格')

    silent = [person(4, '吴网格')] // 郑网格 answered: the next poll counts one fewer
    await wrapper.setProps({ figures: west(2) })
    await flushPromises()
    expect(api.asked).toHaveLength(2)
    expect(api.asked[1]).toBe('/api/rollcalls/call-1/silent?page=1&limit=50&unit=S2')
    expect(wrapper.find('.silent-list').text()).not.toContain('郑网格')
    expect(wrapper.find('.silent-list').text()).toContain('吴网格')

    silent = []
    await wrapper.setProps({ figures: west(3) })
    await flushPromises()
    expect(wrapper.find('.silent-list').exists()).toBe(false) // everyone there answered
  })
})

describe('SwitchCard', () => {
  const item = (state, more = {}) => ({ id: 's1', state, title: '防汛Ⅱ级应急响应', colour: 'orange', reason: '锦江水位超警戒', grids: ['G1'], requested_by: { name: '张书记' }, requested_at: '2026-12-02T00:00:00+00:00', started_at: '2026-12-02T00:00:00+00:00', roll_call: 'call-1', may_decide: true, ...more })

  it('offers a request to be approved or refused, and nothing else', async () => {
    const wrapper = mountWith(SwitchCard, { props: { item: item('requested') } })
    expect(wrapper.findAll('button').map((b) => b.text())).toEqual(['批准', '驳回'])
    await wrapper.find('[aria-label="驳回：防汛Ⅱ级应急响应"]').trigger('click')
    expect(wrapper.emitted()).toHaveProperty('refuse')
  })

  it('shows an active switch’s figures, and its actions only to who may decide', async () => {
    const live = { roll_call: FIGURES, tasks: { open: 3, claimed: 1, overdue: 0, completed: 2 } }
    const props = { item: item('active'), live, api: fakeApi([]), mayReinforce: true }
    const wrapper = mountWith(SwitchCard, { props })
    expect(wrapper.find('.rollcall .figures').text()).toContain('7')
    await wrapper.find('[aria-label="调整级别：防汛Ⅱ级应急响应"]').trigger('click')
    expect(wrapper.emitted()).toHaveProperty('level')
    const watching = mountWith(SwitchCard, { props: { ...props, item: item('active', { may_decide: false }) } })
    expect(watching.find('.buttons').exists()).toBe(false)
  })
})

describe('LevelField', () => {
  it('starts with no level and says one must be chosen', async () => {
    const wrapper = mountWith(LevelField, { props: { modelValue: '' } })
    expect(wrapper.findAll('input:checked')).toHaveLength(0)
    expect(wrapper.find('.level-hint').text()).toBe('请选择响应级别')
    await wrapper.findAll('input')[1].setValue(true)
    expect(wrapper.emitted('update:modelValue')).toEqual([['II']])
  })
})

describe('useLivePoll', () => {
  it('sends the last ETag and keeps what it has when nothing changed', async () => {
    const sent = []
    const body = { at: '2026-12-02T00:00:00+00:00', poll_after_s: 5, switches: [{ switch: { id: 's1' }, roll_call: FIGURES, tasks: {} }] }
    const answers = [
      { status: 200, headers: new Headers({ ETag: '"v1"' }), body },
      { status: 304, headers: new Headers({ ETag: '"v1"' }), body: null },
    ]
    const api = { request: vi.fn(async (method, path, _, headers) => (sent.push(headers), answers.shift())) }
    let poll
    const Probe = defineComponent({
      setup() {
        poll = useLivePoll(api)
        return () => h('p', Object.keys(poll.rows.value).join(','))
      },
    })
    const wrapper = mountWith(Probe)
    await flushPromises()
    expect(wrapper.text()).toBe('s1')
    await poll.refresh()
    expect(sent).toEqual([{}, { 'If-None-Match': '"v1"' }])
    expect(wrapper.text()).toBe('s1')
    expect(poll.failed.value).toBe('')
    wrapper.unmount()
  })
})
