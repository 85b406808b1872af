// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useSession } from '../../src/stores/session.js'
import { ApiError } from '../../src/sync/api.js'
import PasswordView from '../../src/views/me/PasswordView.vue'
import { mountWith, setUp } from './mount.js'

const posted = []
vi.mock('../../src/services.js', () => ({
  api: {
    post: async (path, body) => {
      posted.push([path, body])
      if (body.new_password === 'qq123456') {
        throw new ApiError(422, { error: { code: 'weak_password', message: 'weak', fields: { new_password: ['common'] } } })
      }
    },
    get: async () => ({ id: 7, name: '王芳', password_change_required: false }),
  },
  engine: { setUser: async () => {}, flush: () => {} },
}))
vi.mock('vant', async (actual) => ({ ...(await actual()), showToast: () => {} }))

async function open(me) {
  const plugins = setUp()
  useSession().$patch({ me })
  await plugins.router.push('/me')
  const wrapper = mountWith(PasswordView, { plugins })
  return { wrapper, router: plugins.router }
}

async function fill(wrapper, current, next, again = next) {
  await wrapper.find('input[name=old_password]').setValue(current)
  await wrapper.find('input[name=new_password]').setValue(next)
  await wrapper.find('input[name=again]').setValue(again)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

describe('PasswordView (修改密码)', () => {
  beforeEach(() => {
    posted.length = 0
  })

  it('after a one-time code: asks for the code, says the policy in words, then goes home', async () => {
    const { wrapper, router } = await open({ id: 7, name: '王芳', password_change_required: true })
    expect(wrapper.find('h1').text()).toBe('设置新密码')
    expect(wrapper.text()).toContain('一次性密码')

    await fill(wrapper, 'k7m4-p9x2-abcd', 'qq123456')
    expect(wrapper.find('.van-field__error-message').text()).toContain('密码太简单')

    await fill(wrapper, 'k7m4-p9x2-abcd', '湖边的柳树 grows tall')
    expect(posted.at(-1)).toEqual(['/api/me/password', { old_password: 'k7m4-p9x2-abcd', new_password: '湖边的柳树 grows tall' }])
    expect(useSession().me.password_change_required).toBe(false)
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('sends nothing while the two new passwords differ', async () => {
    const { wrapper } = await open({ id: 7, name: '王芳', password_change_required: false })
    expect(wrapper.find('h1').text()).toBe('修改密码')
    await fill(wrapper, 'the old one', 'a new password', 'another one')
    expect(posted).toEqual([])
    expect(wrapper.text()).toContain('两次输入的新密码不一致')
  })
})
