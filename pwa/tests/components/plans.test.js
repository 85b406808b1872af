// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { h } from 'vue'
import PlanForm from '../../src/views/patrols/PlanForm.vue'
import { ApiError } from '../../src/sync/api.js'
import { mountWith } from './mount.js'

// Leaflet is not what is tested here: a stand-in map whose buttons place what a tap or a
// drawing would.
const RING = [[109.2, 27.7], [109.201, 27.7], [109.201, 27.701], [109.2, 27.7]]
vi.mock('../../src/views/patrols/CheckpointMap.vue', () => ({
  __esModule: true,
  default: {
    props: ['grid', 'checkpoints', 'ordered', 'mode'],
    emits: ['point', 'polygon', 'cancel'],
    setup: (props, { emit }) => () =>
      h('div', { class: 'map', 'data-mode': props.mode || '' }, [
        h('button', { type: 'button', class: 'tap', onClick: () => emit('point', { lat: 27.7123456, lng: 109.1987654 }) }),
        h('button', { type: 'button', class: 'draw', onClick: () => emit('polygon', RING) }),
      ]),
  },
}))

async function form(props) {
  const wrapper = mountWith(PlanForm, { props: { grid: 'G1', plan: null, ...props } })
  await flushPromises()
  return wrapper
}

async function addCheckpoints(wrapper) {
  await wrapper.find('.add-point').trigger('click')
  expect(wrapper.find('.map').attributes('data-mode')).toBe('point')
  await wrapper.find('.tap').trigger('click')
  await wrapper.find('.add-area').trigger('click')
  await wrapper.find('.draw').trigger('click')
  const names = wrapper.findAll('.checkpoint .name')
  await names[0].setValue('菜市场')
  await names[1].setValue('河堤')
}

describe('PlanForm: a grid\'s patrol plan', () => {
  it('sends how often, how long and the checkpoints placed on the map, in their order', async () => {
    const send = vi.fn(async (body) => ({ id: 7, ...body }))
    const wrapper = await form({ send })
    await wrapper.find('input[value="hours"]').setValue(true)
    await wrapper.find('input[name="every_hours"]').setValue('6')
    await wrapper.find('input[name="min_minutes"]').setValue('45')
    await addCheckpoints(wrapper)
    await wrapper.find('input[name="ordered"]').setValue(true)
    // The area first: moved up, the numbers follow.
    await wrapper.findAll('.checkpoint')[1].find('.tools .van-button').trigger('click')
    expect(wrapper.findAll('.checkpoint .number').map((n) => n.text())).toEqual(['1', '2'])
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(send).toHaveBeenCalledTimes(1)
    expect(send.mock.calls[0][0]).toEqual({
      grid: 'G1',
      title: '日常巡查',
      every_hours: 6,
      min_minutes: 45,
      ordered: true,
      working_days_only: true,
      checkpoints: [
        { name: '河堤', polygon: RING, radius_m: 30 },
        { name: '菜市场', lat: 27.712346, lng: 109.198765, radius_m: 30 },
      ],
    })
    expect(wrapper.emitted('saved')[0][0].id).toBe(7)
  })

  it('starts from the grid\'s plan as pulled: daily, its checkpoints', async () => {
    const plan = { id: 3, title: '河边巡查', every_hours: 24, min_minutes: 30, ordered: false, working_days_only: false, checkpoints: [{ name: '码头', lat: 27.7, lng: 109.2, radius_m: 50 }] }
    const send = vi.fn(async (body) => body)
    const wrapper = await form({ plan, send })
    expect(wrapper.find('input[value="daily"]').element.checked).toBe(true)
    expect(wrapper.find('input[name="every_hours"]').element.disabled).toBe(true)
    expect(wrapper.findAll('.checkpoint .name').map((n) => n.element.value)).toEqual(['码头'])
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(send.mock.calls[0][0]).toMatchObject({ title: '河边巡查', every_hours: 24, working_days_only: false, checkpoints: [{ name: '码头', lat: 27.7, lng: 109.2, radius_m: 50 }] })
  })

  it('shows what the server refused at the field it names, a checkpoint\'s in its row', async () => {
    const refusal = new ApiError(422, {
      error: {
        code: 'validation_error',
        message: 'Some fields are invalid.',
        fields: { min_minutes: ['Must be greater than or equal to 0.'], checkpoints: { 1: { name: ['Length must be between 1 and 100.'] } } },
      },
    })
    const send = vi.fn(async () => {
      throw refusal
    })
    const wrapper = await form({ send })
    await wrapper.find('input[name="min_minutes"]').setValue('-5')
    await addCheckpoints(wrapper)
    await wrapper.findAll('.checkpoint .name')[1].setValue('')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    const minutes = wrapper.find('input[name="min_minutes"]')
    expect(minutes.attributes('aria-invalid')).toBe('true')
    expect(minutes.element.parentElement.querySelector('.error').textContent).toBe('每次时长须为 0 到 1440 分钟')
    const rows = wrapper.findAll('.checkpoint')
    expect(rows.map((r) => r.classes('invalid'))).toEqual([false, true])
    expect(rows[1].find('.error[role="alert"]:not([style*="display: none"])').text()).toBe('请填写必经点名称（1 到 100 字）')
    expect(wrapper.emitted('saved')).toBeUndefined()
  })

  it('cannot be saved offline', async () => {
    const wrapper = await form({ send: vi.fn(), online: false })
    expect(wrapper.find('.save').attributes('disabled')).toBeDefined()
    expect(wrapper.text()).toContain('联网后才能保存计划')
  })
})
