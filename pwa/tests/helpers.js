// Wiring for engine tests: a fresh IndexedDB (fake-indexeddb), a fake server, an engine.
import { createApi } from '../src/sync/api.js'
import { openDb } from '../src/sync/db.js'
import { createEngine } from '../src/sync/engine.js'
import { createFakeServer } from './fake-server.js'

let counter = 0

export const USERS = [
  { id: 1, name: '彭旭', phone: '13900000001', password: 'pw1' },
  { id: 2, name: '付颖强', phone: '13900000002', password: 'pw2' },
]

/** A phone: its own database, one API client and engine, talking to the given server. */
export function makePhone(server, options = {}) {
  counter += 1
  const db = options.db ?? openDb(`gridlink-test-${counter}-${Date.now()}`)
  const api = createApi({ fetch: server.fetch })
  const engine = createEngine({ db, api, ...options })
  return {
    db,
    api,
    engine,
    async login(user) {
      const me = await api.login(user.phone, user.password, true)
      await engine.setUser(me)
      return me
    },
  }
}

export function makeServer() {
  return createFakeServer({ users: USERS })
}

export const TASK_ID = '11111111-1111-4111-8111-111111111111'
export const TASK2_ID = '22222222-2222-4222-8222-222222222222'

let reportCounter = 0
export function reportArgs(extra = {}) {
  reportCounter += 1
  const n = String(reportCounter).padStart(12, '0')
  return { id: `aaaaaaaa-aaaa-4aaa-8aaa-${n}`, category: 'road_damage', description: '路面塌陷', lat: 27.72, lng: 109.19, photos: [], ...extra }
}
