// The residents' page without Vue: its device token and its offline drafts (fake-indexeddb).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { deviceToken, sendReport } from '../src/views/residents/api.js'
import { drafts, flush, rememberSent, saveDraft, sentReports } from '../src/views/residents/drafts.js'

function memory() {
  const data = new Map()
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)) }
}

const draft = (id, made_at) => ({ id, made_at, category: 'clutter_piling', description: id, photos: [new Blob(['x'])] })

describe('the device token', () => {
  it('is made once, random, and of the form the server takes', () => {
    const storage = memory()
    const token = deviceToken(storage)
    expect(token).toMatch(/^[A-Za-z0-9_-]{22,64}$/)
    expect(deviceToken(storage)).toBe(token)
    expect(deviceToken(memory())).not.toBe(token)
  })
})

describe('drafts made without signal', () => {
  it('are sent oldest first once the signal returns, and kept while it does not', async () => {
    await saveDraft(draft('second', '2026-12-02T02:00:00Z'))
    await saveDraft(draft('first', '2026-12-02T01:00:00Z'))
    const offline = await flush(async () => {
      throw new TypeError('Failed to fetch')
    })
    expect(offline).toEqual({ sent: [], refused: [] })
    expect((await drafts()).length).toBe(2)

    const order = []
    const online = await flush(async (d) => {
      order.push(d.id)
      return { tracking_number: d.id }
    })
    expect(order).toEqual(['first', 'second'])
    expect(online.sent.map((s) => s.result.tracking_number)).toEqual(['first', 'second'])
    expect(await drafts()).toEqual([])
  })

  it('drops one the server refuses (it would be refused again) and says so', async () => {
    await saveDraft(draft('refused', '2026-12-02T01:00:00Z'))
    const refusal = Object.assign(new Error('no'), { status: 422 })
    const out = await flush(async () => {
      throw refusal
    })
    expect(out.refused.map((r) => r.error)).toEqual([refusal])
    expect(await drafts()).toEqual([])
  })

  it('remembers what this browser sent, newest first', () => {
    const storage = memory()
    rememberSent({ tracking_number: 'A' }, storage)
    rememberSent({ tracking_number: 'B' }, storage)
    expect(sentReports(storage).map((r) => r.tracking_number)).toEqual(['B', 'A'])
  })
})

describe('sending a draft', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('uploads its photos first, then posts only the fields the server takes', async () => {
    const calls = []
    vi.stubGlobal('localStorage', memory())
    vi.stubGlobal('fetch', async (path, options = {}) => {
      calls.push({ path, options })
      const body = path.endsWith('/csrf') ? { csrf_token: 't' } : path.endsWith('/photos') ? { sha256: 'c'.repeat(64) } : { tracking_number: 'N', secret: 's' }
      return new Response(JSON.stringify(body), { status: 201 })
    })
    const result = await sendReport({ ...draft('d', '2026-12-02T01:00:00Z'), lat: 27.7, lng: 109.2 })
    expect(result).toEqual({ tracking_number: 'N', secret: 's' })
    expect(calls.map((c) => c.path)).toEqual(['/api/auth/csrf', '/api/public/photos', '/api/public/reports'])
    const sent = JSON.parse(calls[2].options.body)
    expect(sent).toEqual({ category: 'clutter_piling', description: 'd', lat: 27.7, lng: 109.2, photos: [{ sha256: 'c'.repeat(64) }] })
    expect(calls[2].options.headers['X-Device']).toMatch(/^[A-Za-z0-9_-]{22,64}$/)
  })
})
