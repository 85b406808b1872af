// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useSession } from '../../src/stores/session.js'
import PeopleView from '../../src/views/me/PeopleView.vue'
import { mountWith, setUp } from './mount.js'

const calls = []
const shown = []
const grid = { code: '520602001001001', name: '一网格', level: 'grid' }
const person = (id, name, extra = {}) => ({ id, name, phone: `1390000000${id}`, role: 'grid_member', units: [grid], active: true, ...extra })
vi.mock('../../src/services.js', () => ({
  api: {
    get: async (path) => {
      calls.push(['GET', path])
      return [person(1, '王芳'), person(2, '李强', { active: false }), person(3, '张书记', { role: 'secretary' })]
    },
    post: async (path) => {
      calls.push(['POST', path])
      return { one_time_code: 'k7m4-p9x2-ab3d', expires_at: '2026-12-02T22:00:00+00:00' }
    },
  },
}))
vi.mock('vant', async (actual) => ({
  ...(await actual()),
  showConfirmDialog: async () => true,
  showDialog: async (options) => shown.push(options),
}))

async function open() {
  const plugins = setUp()
  useSession().$patch({ me: { id: 3, name: '张书记', role: 'secretary' } })
  const wrapper = mountWith(PeopleView, { plugins })
  await flushPromises()
  return wrapper
}

describe('PeopleView (成员账号)', () => {
  beforeEach(() => {
    calls.length = 0
    shown.length = 0
  })

  it('lists my area, a deactivated person marked, and no reset of myself', async () => {
    const wrapper = await open()
    expect(calls).toEqual([['GET', '/api/people?limit=200']])
    expect(wrapper.text()).toContain('网格员 · 一网格')
    expect(wrapper.text()).toContain('已停用')
    const resets = wrapper.findAll('button[aria-label^="重置"]').map((b) => b.attributes('aria-label'))
    expect(resets).toEqual(['重置 王芳 的密码'])
  })

  it('resets a member and shows the one-time code once', async () => {
    const wrapper = await open()
    await wrapper.find('button[aria-label="重置 王芳 的密码"]').trigger('click')
    await flushPromises()
    expect(calls).toContainEqual(['POST', '/api/people/1/reset'])
    expect(shown).toHaveLength(1)
    expect(shown[0].title).toBe('王芳 的一次性密码')
    expect(shown[0].message).toContain('k7m4-p9x2-ab3d')
  })

  it('finds people by name or phone', async () => {
    const wrapper = await open()
    await wrapper.find('input[name=q]').setValue(' 王 ')
    await wrapper.find('input[name=q]').trigger('keyup.enter')
    await flushPromises()
    expect(calls.at(-1)).toEqual(['GET', `/api/people?limit=200&q=${encodeURIComponent('王')}`])
  })
})
