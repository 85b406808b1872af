// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import SyncStatus from '../../src/components/SyncStatus.vue'
import { useSync } from '../../src/stores/sync.js'
import { FLUSH } from '../../src/sync/engine.js'
import { mountWith, setUp } from './mount.js'

const pending = (n) => Array.from({ length: n }, (_, i) => ({ command_id: `c${i}`, state: 'pending', type: 'task.claim', args: {} }))

async function status(state) {
  const plugins = setUp()
  useSync().$patch(state)
  const wrapper = mountWith(SyncStatus, { plugins })
  await wrapper.vm.$nextTick()
  return wrapper
}

describe('SyncStatus', () => {
  it.each([
    [{ online: false }, 'offline', '离线：操作已保存在手机上，联网后自动发送'],
    [{ online: true, lastResult: FLUSH.SERVER }, 'server', '服务器暂时无法连接：操作已保存在手机上，稍后自动重试'],
    [{ online: true, lastResult: FLUSH.OFFLINE }, 'server', '服务器暂时无法连接：操作已保存在手机上，稍后自动重试'],
    [{ online: true, lastResult: FLUSH.OK }, 'ok', '已同步'],
    [{ online: true, lastResult: FLUSH.ERROR, lastError: { code: 'http_502', status: 502, message: 'HTTP 502' } }, 'error', '同步出错：服务器暂时出错，请稍后再试'],
  ])('%j is %s: "%s"', async (state, phase, text) => {
    const wrapper = await status(state)
    expect(wrapper.classes()).toContain(`is-${phase}`)
    expect(wrapper.find('.line').text()).toBe(text)
  })

  it('counts photos still on the phone as unsent, online or not', async () => {
    const idle = await status({ online: true, lastResult: FLUSH.OK, photosWaiting: ['a', 'b'] })
    expect(idle.find('.line').text()).toBe('2 张照片待上传')
    const offline = await status({ online: false, commands: pending(1), photosWaiting: ['a', 'b'] })
    expect(offline.find('.waiting').text()).toBe('1 条待发送，2 张照片待上传')
    expect(useSync().unsentCount).toBe(3)
  })

  it('shows the upload with its progress', async () => {
    const wrapper = await status({ online: true, photosWaiting: ['a', 'b'], upload: { sha256: 'a', sent: 40, total: 100, index: 0, count: 2 } })
    expect(wrapper.find('.upload').text()).toContain('正在上传照片 1/2（40%）')
    expect(wrapper.find('[role=progressbar]').attributes('aria-valuenow')).toBe('40')
  })

  it('says when it last synced, with a Chinese colon and date', async () => {
    const wrapper = await status({ online: true, lastSync: new Date(2026, 11, 2, 5, 38).toISOString() })
    expect(wrapper.text()).toContain('上次同步：12月2日 05:38')
  })
})
