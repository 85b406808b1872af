import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256, sha256Sync } from '../src/lib/sha256.js'

describe('sha256', () => {
  it('matches known digests, in pure JS and with WebCrypto', async () => {
    expect(sha256Sync(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Sync(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    for (const size of [55, 56, 63, 64, 65, 1000, 100003]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff)
      const expected = createHash('sha256').update(bytes).digest('hex')
      expect(sha256Sync(bytes)).toBe(expected)
      expect(await sha256(new Blob([bytes]))).toBe(expected)
    }
  })
})
