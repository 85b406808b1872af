// The phone's database (src/sync/idb.js, fake-indexeddb): what Dexie left on the phones is
// read as it was, a transaction is all or nothing, live queries follow writes, here and in
// another tab.
import Dexie from 'dexie'
import { describe, expect, it } from 'vitest'
import { openDb } from '../src/sync/db.js'
import { liveQuery } from '../src/sync/idb.js'

let counter = 0
const fresh = () => `idb-test-${(counter += 1)}-${Date.now()}`

/** Resolves with the values a live query has given once it has given n of them. */
function collect(query, n) {
  const values = []
  let done
  const enough = new Promise((resolve) => (done = resolve))
  const subscription = query.subscribe({
    next: (value) => {
      values.push(value)
      if (values.length === n) done(values)
    },
  })
  return { values, enough, subscription }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 30))

describe('the phone database', () => {
  it('reads and writes the database the Dexie version of the app made', async () => {
    const name = fresh()
    const old = new Dexie(name)
    // The schema of the app's last Dexie version (src/sync/db.js before idb.js).
    old.version(1).stores({
      outbox: 'command_id, &[device_id+seq], [user_id+state], state',
      entities: '[entity+id], entity',
      meta: 'key',
      blobs: 'sha256, uploaded, user_id',
    })
    await old.outbox.bulkAdd([
      { command_id: 'a', device_id: 'd1', seq: 1, user_id: 7, state: 'pending' },
      { command_id: 'b', device_id: 'd1', seq: 2, user_id: 7, state: 'sent' },
    ])
    await old.entities.put({ entity: 'task', id: 't1', data: { title: '走访' } })
    await old.meta.bulkPut([{ key: 'session', value: { id: 7 } }, { key: 'tus:x', value: 1 }, { key: 'tus:y', value: 2 }])
    await old.blobs.bulkPut([
      { sha256: 'p1', uploaded: 0, user_id: 7 },
      { sha256: 'p2', uploaded: -1, user_id: 7 },
      { sha256: 'p3', uploaded: 1, user_id: 7 },
    ])
    old.close()

    const db = openDb(name)
    expect((await db.outbox.where('[user_id+state]').equals([7, 'pending']).toArray()).map((r) => r.command_id)).toEqual(['a'])
    expect(await db.entities.get(['task', 't1'])).toMatchObject({ data: { title: '走访' } })
    expect((await db.meta.get('session')).value).toEqual({ id: 7 })
    expect((await db.meta.where('key').startsWith('tus:').toArray()).map((r) => r.value)).toEqual([1, 2])
    expect((await db.blobs.where('uploaded').anyOf(0, -1).toArray()).map((r) => r.sha256).sort()).toEqual(['p1', 'p2'])
    // (device, seq) is still unique.
    await expect(db.outbox.add({ command_id: 'c', device_id: 'd1', seq: 2, user_id: 7, state: 'pending' })).rejects.toThrow()
    expect(await db.outbox.count()).toBe(2)
    expect(await db.outbox.update('b', { state: 'rejected' })).toBe(1)
    expect(await db.outbox.update('nope', { state: 'rejected' })).toBe(0)
    expect(await db.entities.filter((row) => row.data.title === '走访').primaryKeys()).toEqual([['task', 't1']])
    await db.close()
  })

  it('keeps nothing of a transaction that fails', async () => {
    const db = openDb(fresh())
    await db.meta.put({ key: 'seq', value: 1 })
    const failing = db.transaction('rw', db.meta, db.outbox, async (tx) => {
      await tx.meta.put({ key: 'seq', value: 2 })
      await tx.outbox.add({ command_id: 'a', device_id: 'd', seq: 2, user_id: 1, state: 'pending' })
      throw new Error('refused')
    })
    await expect(failing).rejects.toThrow('refused')
    expect((await db.meta.get('seq')).value).toBe(1)
    expect(await db.outbox.count()).toBe(0)
    const value = await db.transaction('rw', db.meta, async (tx) => {
      await tx.meta.put({ key: 'seq', value: 3 })
      return (await tx.meta.get('seq')).value
    })
    expect(value).toBe(3)
    await db.close()
  })

  it('runs a live query again after a write to its table, not to another', async () => {
    const db = openDb(fresh())
    const { values, enough, subscription } = collect(
      liveQuery(db, ['outbox'], () => db.outbox.toArray()),
      3,
    )
    await tick()
    await db.meta.put({ key: 'other', value: 1 })
    await db.outbox.put({ command_id: 'a', device_id: 'd', seq: 1, user_id: 1, state: 'pending' })
    await db.transaction('rw', db.outbox, db.meta, async (tx) => {
      await tx.outbox.update('a', { state: 'sent' })
      await tx.meta.put({ key: 'other', value: 2 })
    })
    expect((await enough).map((rows) => rows.map((r) => r.state))).toEqual([[], ['pending'], ['sent']])
    // A transaction that only reads the table changes nothing.
    await db.transaction('rw', db.outbox, db.meta, async (tx) => {
      await tx.outbox.get('a')
      await tx.meta.put({ key: 'other', value: 3 })
    })
    await tick()
    expect(values).toHaveLength(3)
    subscription.unsubscribe()
    await db.outbox.delete('a')
    await tick()
    expect(values).toHaveLength(3)
    await db.close()
  })

  it("follows another tab's writes", async () => {
    const name = fresh()
    const mine = openDb(name)
    const other = openDb(name) // another tab: its own connection
    const { enough, subscription } = collect(
      liveQuery(mine, ['entities'], () => mine.entities.toArray()),
      2,
    )
    await tick()
    await other.entities.put({ entity: 'task', id: 't', data: {} })
    expect((await enough).map((rows) => rows.length)).toEqual([0, 1])
    subscription.unsubscribe()
    await mine.close()
    await other.close()
  })
})
