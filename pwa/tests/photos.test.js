import { describe, expect, it } from 'vitest'
import { ApiError, NetworkError } from '../src/sync/api.js'
import { FLUSH } from '../src/sync/engine.js'
import { idbUrlStorage } from '../src/photos.js'
import { USERS, makePhone, makeServer } from './helpers.js'

const [ALICE] = USERS
const blob = (text) => new Blob([text], { type: 'image/jpeg' })

describe('photo uploads in the flush', () => {
  it('uploads waiting photos with progress, marks them done, and sends each once', async () => {
    const seen = []
    const events = []
    const uploader = async (row, onProgress) => {
      seen.push(row.sha256)
      onProgress(row.blob.size, row.blob.size)
    }
    const phone = makePhone(makeServer(), { uploader })
    phone.engine.on((e) => e.type === 'upload' && events.push(e))
    await phone.login(ALICE)
    await phone.engine.storePhoto('a'.repeat(64), blob('one'))
    await phone.engine.storePhoto('b'.repeat(64), blob('two'))
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(seen).toEqual(['a'.repeat(64), 'b'.repeat(64)])
    expect((await phone.db.blobs.toArray()).map((b) => b.uploaded)).toEqual([1, 1])
    expect(events.filter((e) => e.done)).toHaveLength(2)
    expect(events.find((e) => e.sent === 3)).toMatchObject({ total: 3, index: 0, count: 2 })
  })

  it('a photo the server refuses for good is set aside with its reason; the others go on', async () => {
    const uploader = async (row) => {
      if (row.sha256.startsWith('a')) throw new ApiError(415, { error: { code: 'not_an_image', message: 'no' } })
    }
    const phone = makePhone(makeServer(), { uploader })
    await phone.login(ALICE)
    await phone.engine.storePhoto('a'.repeat(64), blob('bad'))
    await phone.engine.storePhoto('b'.repeat(64), blob('good'))
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const rows = await phone.db.blobs.toArray()
    expect(rows.map((b) => [b.uploaded, b.error?.code ?? null])).toEqual([
      [-1, 'not_an_image'],
      [1, null],
    ])
  })

  it('no network or a busy upload keeps the photo waiting for the next flush', async () => {
    let calls = 0
    const uploader = async () => {
      calls += 1
      if (calls === 1) throw new NetworkError(new Error('offline'))
      if (calls === 2) throw new ApiError(423, { error: { code: 'locked' } })
    }
    const phone = makePhone(makeServer(), { uploader })
    await phone.login(ALICE)
    await phone.engine.storePhoto('c'.repeat(64), blob('x'))
    expect((await phone.engine.flush()).status).toBe(FLUSH.OFFLINE)
    expect((await phone.engine.flush()).status).toBe(FLUSH.ERROR)
    expect((await phone.db.blobs.get('c'.repeat(64))).uploaded).toBe(0)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect((await phone.db.blobs.get('c'.repeat(64))).uploaded).toBe(1)
  })
})

describe('tus URL storage on IndexedDB', () => {
  it('keeps, finds by fingerprint and removes unfinished uploads', async () => {
    const phone = makePhone(makeServer())
    const storage = idbUrlStorage(phone.db)
    const key = await storage.addUpload('1:abc', { uploadUrl: '/api/uploads/x', size: 10 })
    await storage.addUpload('1:def', { uploadUrl: '/api/uploads/y', size: 20 })
    expect((await storage.findUploadsByFingerprint('1:abc')).map((u) => u.uploadUrl)).toEqual(['/api/uploads/x'])
    expect(await storage.findAllUploads()).toHaveLength(2)
    await storage.removeUpload(key)
    expect(await storage.findUploadsByFingerprint('1:abc')).toEqual([])
  })
})
