// @vitest-environment happy-dom
// The console's dialogs, out of ConsoleView: a refusal keeps the dialog open with the
// server's reason, a new level must differ from the current one, a refusal needs its reason,
// a start sends the units picked and the level chosen, and a reinforcement names the member.
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'
import NoteDialog from '../../src/views/emergency/console/NoteDialog.vue'
import ReinforceDialog from '../../src/views/emergency/console/ReinforceDialog.vue'
import StartSwitchDialog from '../../src/views/emergency/console/StartSwitchDialog.vue'
import { mountWith } from './mount.js'

// happy-dom's <dialog> has no modal: open is enough for these tests.
HTMLDialogElement.prototype.showModal ||= function () {
  this.open = true
}

const SWITCH = { id: 'sw-1', title: '防汛Ⅱ级应急响应', level: 'II', grids: ['G1', 'G2'] }
const confirm = (wrapper) => wrapper.findAll('button').find((b) => b.text() === '确定' || b.text() === '派出')

describe('NoteDialog', () => {
  it('offers no answer until a level other than the current one is chosen, then sends it', async () => {
    const send = vi.fn().mockResolvedValue({})
    const wrapper = mountWith(NoteDialog, { props: { send } })
    wrapper.vm.open('level', SWITCH)
    await flushPromises()
    expect(confirm(wrapper).attributes('disabled')).toBeDefined()
    await wrapper.find('input[value="II"]').setValue()
    expect(confirm(wrapper).attributes('disabled')).toBeDefined()
    await wrapper.find('input[value="I"]').setValue()
    expect(confirm(wrapper).attributes('disabled')).toBeUndefined()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(send).toHaveBeenCalledWith('/api/emergency/switches/sw-1/level', { level: 'I', note: null }, expect.any(String))
  })

  it('a refusal needs its reason; the server refusing keeps the dialog open with why', async () => {
    const send = vi.fn().mockRejectedValue({ status: 409, code: 'conflict', message: 'no' })
    const wrapper = mountWith(NoteDialog, { props: { send } })
    wrapper.vm.open('refuse', SWITCH)
    await flushPromises()
    expect(confirm(wrapper).attributes('disabled')).toBeDefined()
    await wrapper.find('textarea').setValue('水位未达标准')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(send.mock.calls[0][1]).toEqual({ approve: false, note: '水位未达标准' })
    expect(wrapper.find('dialog').element.open).toBe(true)
    expect(wrapper.find('[role="alert"]').text()).not.toBe('')
  })
})

describe('StartSwitchDialog', () => {
  it('sends the communities picked and the level chosen, never a default', async () => {
    const send = vi.fn().mockResolvedValue({})
    const area = reactive({ scope: 'community', vertices: [] })
    const units = [{ code: 'C1', name: '河畔社区' }, { code: 'C2', name: '山前社区' }]
    const wrapper = mountWith(StartSwitchDialog, {
      props: { send, scopes: ['community', 'grid', 'polygon'], unitsOf: () => units, area, gridName: (c) => c },
    })
    wrapper.vm.open()
    await flushPromises()
    await wrapper.find('textarea').setValue('强降雨')
    await wrapper.findAll('input[type="checkbox"]').find((i) => i.element.value === 'C2').setValue(true)
    expect(confirm(wrapper).attributes('disabled')).toBeDefined() // no level yet
    await wrapper.find('input[value="III"]').setValue()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const [path, body] = send.mock.calls[0]
    expect(path).toBe('/api/emergency/switches')
    expect(body).toMatchObject({ kind: 'flood', level: 'III', reason: '强降雨', scope: { level: 'community', codes: ['C2'] } })
  })
})

describe('ReinforceDialog', () => {
  it('searches people, and sends the one chosen to the grid picked on the map', async () => {
    const api = { get: vi.fn().mockResolvedValue([{ id: 7, name: '郑支援', force: 'street_backbone', phone: '13800000007', grid: { code: 'X', name: '外网格' } }]) }
    const send = vi.fn().mockResolvedValue({})
    const wrapper = mountWith(ReinforceDialog, { props: { api, send, gridName: (c) => `网格${c}` } })
    wrapper.vm.open(SWITCH)
    await flushPromises()
    expect(api.get).toHaveBeenCalledWith('/api/emergency/switches/sw-1/candidates?')
    await wrapper.find('input[type="radio"]').setValue()
    const picked = wrapper.findAll('button').find((b) => b.text() === '在地图上点选网格')
    await picked.trigger('click')
    expect(wrapper.emitted('pick')[0]).toEqual([SWITCH])
    wrapper.vm.pickGrid('G2')
    await flushPromises()
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(send.mock.calls[0].slice(0, 2)).toEqual(['/api/emergency/switches/sw-1/reinforce', { user_id: 7, grid: 'G2' }])
    expect(wrapper.emitted('sent')[0][0]).toMatchObject({ switch: 'sw-1', name: '郑支援', grid: '网格G2' })
  })
})
