// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import PhotoPicker from '../../src/components/PhotoPicker.vue'
import { preparePhoto } from '../../src/photos.js'
import { mountWith } from './mount.js'

// Compression itself is browser-image-compression's (photos.js); here: every photo goes through it.
vi.mock('../../src/photos.js', () => ({
  preparePhoto: vi.fn(async (file) => ({ blob: new Blob([file.name], { type: 'image/jpeg' }), sha256: `sha-${file.name}` })),
}))

beforeEach(() => {
  preparePhoto.mockClear()
  URL.createObjectURL = vi.fn((blob) => `blob:${blob.size}`)
  URL.revokeObjectURL = vi.fn()
})

function picker(max = 9) {
  let wrapper = null
  wrapper = mountWith(PhotoPicker, { props: { max, modelValue: [], 'onUpdate:modelValue': (value) => wrapper.setProps({ modelValue: value }) } })
  return wrapper
}

async function choose(input, names) {
  const files = names.map((name) => new File([name], name, { type: 'image/jpeg', lastModified: Date.UTC(2026, 11, 2) }))
  Object.defineProperty(input.element, 'files', { configurable: true, value: files })
  await input.trigger('change')
  await flushPromises()
}

describe('PhotoPicker', () => {
  it('offers the camera and the album; the album takes several photos at once', () => {
    const wrapper = picker()
    const camera = wrapper.find('input[name=camera]')
    const album = wrapper.find('input[name=album]')
    expect(camera.attributes('capture')).toBe('environment')
    expect(album.attributes('capture')).toBeUndefined()
    expect(album.attributes()).toHaveProperty('multiple')
    expect(wrapper.text()).toContain('拍照')
    expect(wrapper.text()).toContain('从相册选')
  })

  it('prepares every chosen photo the same way, once each, up to the limit', async () => {
    const wrapper = picker(3)
    await choose(wrapper.find('input[name=album]'), ['a.jpg', 'b.jpg'])
    await choose(wrapper.find('input[name=camera]'), ['c.jpg', 'd.jpg'])
    expect(preparePhoto).toHaveBeenCalledTimes(3)
    expect(wrapper.props('modelValue').map((p) => p.sha256)).toEqual(['sha-a.jpg', 'sha-b.jpg', 'sha-c.jpg'])
    expect(wrapper.findAll('img')).toHaveLength(3)
    expect(wrapper.find('input[type=file]').exists()).toBe(false) // full: no more to add
  })

  it('keeps one copy of a photo chosen twice', async () => {
    const wrapper = picker()
    await choose(wrapper.find('input[name=album]'), ['a.jpg'])
    await choose(wrapper.find('input[name=album]'), ['a.jpg'])
    expect(wrapper.props('modelValue')).toHaveLength(1)
  })
})
