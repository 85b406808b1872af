// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { h } from 'vue'
import PointField from '../../src/components/PointField.vue'
import { mountWith } from './mount.js'

// The Leaflet map is not what is tested here: a stand-in that moves the pin when clicked.
vi.mock('../../src/components/LocationPicker.vue', () => ({
  __esModule: true,
  default: {
    props: ['point', 'grids', 'mine', 'label', 'readonly'],
    emits: ['move'],
    setup: (props, { emit }) => () => h('button', { class: 'map', onClick: () => emit('move', { lat: 27.7, lng: 109.2, accuracy: null, source: 'pin' }) }),
  },
}))

let answers // the callbacks of each getCurrentPosition call: [success, failure]
beforeEach(() => {
  answers = []
  Object.defineProperty(navigator, 'geolocation', {
    configurable: true,
    value: { getCurrentPosition: vi.fn((ok, fail) => answers.push([ok, fail])) },
  })
})
afterEach(() => vi.restoreAllMocks())

const fix = { coords: { latitude: 27.71, longitude: 109.18, accuracy: 12 } }

async function field() {
  let wrapper = null
  wrapper = mountWith(PointField, { props: { modelValue: null, 'onUpdate:modelValue': (value) => wrapper.setProps({ modelValue: value }) } })
  await flushPromises()
  return wrapper
}

describe('PointField', () => {
  it('takes the GPS fix as soon as it shows, and says its accuracy', async () => {
    const wrapper = await field()
    expect(navigator.geolocation.getCurrentPosition).toHaveBeenCalledTimes(1)
    expect(wrapper.find('.where').text()).toBe('正在定位…')
    answers[0][0](fix)
    await flushPromises()
    expect(wrapper.props('modelValue')).toEqual({ lat: 27.71, lng: 109.18, accuracy: 12, source: 'gps' })
    expect(wrapper.find('.where').text()).toContain('精度约 12 米')
  })

  it('keeps a pin the member moved while the first fix was coming', async () => {
    const wrapper = await field()
    await wrapper.find('.map').trigger('click')
    answers[0][0](fix)
    await flushPromises()
    expect(wrapper.props('modelValue')).toMatchObject({ source: 'pin', accuracy: null })
    expect(wrapper.find('.where').text()).toContain('手动选点')
  })

  it('takes a new fix over the pin when asked', async () => {
    const wrapper = await field()
    answers[0][0](fix)
    await flushPromises()
    await wrapper.find('.map').trigger('click')
    expect(wrapper.props('modelValue')).toMatchObject({ source: 'pin' })
    await wrapper.find('.van-button').trigger('click')
    expect(answers).toHaveLength(2)
    answers[1][0](fix)
    await flushPromises()
    expect(wrapper.props('modelValue')).toMatchObject({ source: 'gps', accuracy: 12 })
  })

  it('says in place when there is no fix, and lets the pin be placed', async () => {
    const wrapper = await field()
    answers[0][1]({ code: 1 })
    await flushPromises()
    expect(wrapper.find('.where').text()).toBe('未能获取定位，请点按地图放置图钉，或重试定位')
    await wrapper.find('.map').trigger('click')
    expect(wrapper.props('modelValue')).toMatchObject({ lat: 27.7, source: 'pin' })
  })
})
