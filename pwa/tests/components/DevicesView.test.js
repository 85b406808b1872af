// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useSession } from '../../src/stores/session.js'
import DevicesView from '../../src/views/me/DevicesView.vue'
import { mountWith, setUp } from './mount.js'

const calls = []
let listed = []
vi.mock('../../src/services.js', () => ({
  api: {
    get: async (path) => {
      calls.push(['GET', path])
      return listed
    },
    request: async (method, path) => {
      calls.push([method, path])
      listed = listed.filter((s) => s.current || (!path.endsWith(`/${s.id}`) && !path.startsWith('/api/people/')))
    },
  },
}))
vi.mock('vant', async (actual) => ({ ...(await actual()), showConfirmDialog: async () => true, showToast: () => {} }))

const at = '2026-12-01T22:00:00+00:00'
const session = (id, device, current = false) => ({ id, device, current, remember: true, created_at: at, last_seen_at: at, ends_at: at })

async function open() {
  const plugins = setUp()
  useSession().$patch({ me: { id: 7, name: '王芳' } })
  const wrapper = mountWith(DevicesView, { plugins })
  await flushPromises()
  return wrapper
}

describe('DevicesView (登录设备)', () => {
  beforeEach(() => {
    calls.length = 0
    listed = [session('a', 'Android · Chrome', true), session('b', null), session('c', 'Windows · Edge')]
  })

  it('lists where I am logged in, this phone marked and unnamed ones said so', async () => {
    const wrapper = await open()
    const titles = wrapper.findAll('.van-cell__title span').map((el) => el.text())
    expect(titles).toEqual(['Android · Chrome', '未知设备', 'Windows · Edge'])
    expect(wrapper.findAll('.van-tag').map((el) => el.text())).toEqual(['本机'])
  })

  it('logs one other device out, and every other one at once', async () => {
    const wrapper = await open()
    await wrapper.find('[aria-label="让 Windows · Edge 退出登录"]').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['DELETE', '/api/auth/sessions/c'])
    expect(wrapper.text()).not.toContain('Windows · Edge')

    listed.push(session('d', 'iOS · Safari'))
    const again = await open()
    await again.find('.van-button--danger').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['DELETE', '/api/people/7/sessions'])
    expect(again.findAll('.van-cell').length).toBe(1)
  })
})
