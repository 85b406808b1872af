// @vitest-environment happy-dom
// 住户 offline: a household's page from the phone's copy, its visit recorded offline shown at
// once, and the edit screen sending each changed field with the version it was pulled at.
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { useSession } from '../../src/stores/session.js'
import { useSync } from '../../src/stores/sync.js'
import HouseholdEdit from '../../src/views/households/HouseholdEdit.vue'
import HouseholdView from '../../src/views/households/HouseholdView.vue'
import { mountWith, setUp } from './mount.js'

vi.mock('../../src/views/households/plans.js', async () => {
  const { ref } = await import('vue')
  const plans = ref([{ tag: 'household', every_days: 182, fields: [] }, { tag: 'elderly_alone', every_days: 30, fields: [] }])
  return { usePlans: () => plans }
})

const ME = { id: 7, name: '王网格', role: 'grid_member', units: [] }
const HOUSEHOLD = {
  id: 'h1',
  grid: { code: '520602001001001', name: '一网格' },
  address: '清水塘路8号',
  building: '3栋',
  unit: null,
  room: '501',
  tags: ['rental'],
  versions: { room: 1 },
  moved_out: null,
  last_visit_at: null,
  next_visit_due: null,
  members: [
    { id: 'm1', name: '张三丰', relationship: 'head', phone: '139****5678', id_number: null, tags: ['elderly_alone'], versions: { phone: 2 }, moved_out: null },
    { id: 'm2', name: '李租', relationship: 'tenant', phone: null, id_number: null, tags: [], versions: {}, moved_out: { on: '2026-11-01', to: null, reason: '退租' } },
  ],
}

function screen(component, props, commands = []) {
  const plugins = setUp()
  useSession().$patch({ me: ME })
  const sync = useSync()
  sync.$patch({ online: false, ready: true, entities: [{ entity: 'household', id: 'h1', data: HOUSEHOLD }], commands })
  return { wrapper: mountWith(component, { props, plugins }), sync }
}

describe('a household on the phone, offline', () => {
  it('shows its people, the one moved out apart, and my visit at once, pending', async () => {
    const visit = {
      command_id: 'c1',
      seq: 1,
      type: 'visit.record',
      state: 'pending',
      created_at: '2026-12-02T01:00:00Z',
      device_time: '2026-12-02T09:00:00+08:00',
      args: { id: 'v1', household: 'h1', met: ['m1'], note: '老人身体尚可', forms: {}, device_time: '2026-12-02T09:00:00+08:00' },
    }
    const { wrapper } = screen(HouseholdView, { id: 'h1' }, [visit])
    await flushPromises()
    expect(wrapper.find('[data-member="m2"]').text()).toContain('2026-11-01 迁出')
    const row = wrapper.find('[data-visit="v1"]')
    expect(row.text()).toContain('老人身体尚可')
    expect(row.text()).toContain('张三丰')
    expect(row.text()).toContain('待发送')
    expect(wrapper.text()).toContain('下次走访') // due again in a month, counted on the phone
  })
})

describe('the edit screen', () => {
  it('sends the household’s and each person’s changed fields with their versions, and a tenant', async () => {
    const { wrapper, sync } = screen(HouseholdEdit, { household: HOUSEHOLD })
    const send = vi.spyOn(sync, 'send').mockResolvedValue({ state: 'kept', why: 'offline', command: { type: 'household.update' } })
    await wrapper.find('input[name=room]').setValue('502')
    const person = wrapper.find('[data-member="m1"]')
    await person.find('input[name=phone]').setValue('13800001111')
    await person.find('select[name=relationship]').setValue('spouse')
    expect(wrapper.find('[data-member="m2"]').exists()).toBe(false) // moved out: not edited
    await wrapper.find('.tenants button').trigger('click')
    await wrapper.find('input[name=tenant_name]').setValue('王租')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const sent = send.mock.calls.map(([type, args]) => [type, args])
    expect(sent[0]).toEqual(['household.update', expect.objectContaining({ id: 'h1', member: null, changes: { room: '502' }, base: { room: 1 } })])
    expect(sent[1]).toEqual([
      'household.update',
      expect.objectContaining({ id: 'h1', member: 'm1', changes: { relationship: 'spouse', phone: '13800001111' }, base: { relationship: 0, phone: 2 } }),
    ])
    expect(sent[2]).toEqual(['household.add_member', expect.objectContaining({ household: 'h1', name: '王租', relationship: 'tenant' })])
    expect(sent).toHaveLength(3)
    expect(wrapper.emitted('done')).toBeTruthy()
  })

  it('refuses a phone that is not a mobile number', async () => {
    const { wrapper } = screen(HouseholdEdit, { household: HOUSEHOLD })
    await wrapper.find('[data-member="m1"] input[name=phone]').setValue('12345')
    expect(wrapper.find('button[type=submit]').attributes('disabled')).toBeDefined()
  })
})
