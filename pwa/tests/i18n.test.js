import { describe, expect, it } from 'vitest'
import { errorText, i18n, localName, outcomeText, rejectionText } from '../src/i18n.js'
import { ApiError, NetworkError } from '../src/sync/api.js'

const { d } = i18n.global

describe('errors a person reads', () => {
  it.each([
    [new ApiError(502, null), '服务器暂时出错，请稍后再试'], // a proxy's page: no JSON, no code
    [new ApiError(500, { error: { code: 'internal_error', message: 'Something went wrong on the server.', fields: {} } }), '服务器暂时出错，请稍后再试'],
    [new ApiError(404, { error: { code: 'no_such_thing', message: 'Not here.', fields: {} } }), '对象不存在或不在您的范围内'],
    [new ApiError(403, null), '您没有权限进行此操作'],
    [new ApiError(418, null), '出错了，请稍后再试'],
    [new ApiError(409, { error: { code: 'task_full', message: 'Every place is taken.', fields: {} } }), '名额已满'],
    [new NetworkError(new Error('offline')), '无法连接服务器，请检查网络'],
    [{ code: 'http_503', status: 503, message: 'HTTP 503' }, '服务器暂时出错，请稍后再试'], // as stored by the engine
  ])('%s → %s, never the English message nor a raw status', (error, text) => {
    expect(errorText(error)).toBe(text)
    expect(rejectionText(error)).toBe(text)
  })

  it('names who holds a full task without doubling the colon', () => {
    const error = { code: 'task_full', fields: { _extra: { holders: [{ name: '王网格', claimed_at: '2026-12-02T05:38:00+08:00' }] } } }
    const text = i18n.global.t('tasks.rejected', { reason: rejectionText(error) })
    expect(text).toBe(`未通过：名额已满，已被 王网格（${d(new Date('2026-12-02T05:38:00+08:00'), 'short')}） 认领`)
    expect(text.split('：')).toHaveLength(2)
  })
})

describe('dates and names', () => {
  it('writes dates in the Chinese form', () => {
    const at = new Date(2026, 11, 2, 5, 38)
    expect(d(at, 'short')).toBe('12月2日 05:38')
    expect(d(at, 'long')).toBe('2026年12月2日 05:38')
  })

  it('says the last sync with a Chinese colon', () => {
    expect(i18n.global.t('sync.last_sync', { at: '12月2日 05:38' })).toBe('上次同步：12月2日 05:38')
  })

  it('names an item in the chosen language', () => {
    expect(localName({ code: 'road', name: '道路', name_en: 'Roads' })).toBe('道路')
    expect(localName({ code: 'road' })).toBe('road')
    expect(localName(null)).toBe('')
  })
})

describe('what became of an action', () => {
  const report = { type: 'incident.report', args: { photos: [] } }
  it.each([
    [{ command: report, state: 'applied' }, '已上报'],
    [{ command: { type: 'incident.report', args: { photos: [{}, {}] } }, state: 'applied' }, '已上报，2 张照片正在上传'],
    [{ command: { type: 'task.claim', args: {} }, state: 'applied' }, '已认领'],
    [{ command: { type: 'task.claim', args: {} }, state: 'rejected', error: { code: 'task_full' } }, '认领任务未通过：名额已满'],
    [{ command: report, state: 'kept', why: 'offline' }, '没有网络：上报事件已保存在手机上，联网后自动发送'],
    [{ command: report, state: 'kept', why: 'server' }, '服务器暂时无法连接：上报事件已保存在手机上，稍后自动重试'],
    [{ command: report, state: 'kept', why: 'busy' }, '上报事件已保存在手机上，正在发送'],
    [{ command: { type: 'rollcall.ack', lane: 'urgent', args: {} }, state: 'kept', why: 'offline' }, '没有网络：叫应应答已保存在手机上，联网后优先发送'],
  ])('%j → %s', (outcome, text) => {
    expect(outcomeText(outcome)).toBe(text)
  })
})
