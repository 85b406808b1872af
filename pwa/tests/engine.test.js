import { describe, expect, it } from 'vitest'
import { FLUSH } from '../src/sync/engine.js'
import { overlay } from '../src/sync/overlay.js'
import { TASK2_ID, TASK_ID, USERS, makePhone, makeServer, reportArgs } from './helpers.js'

const [ALICE, BOB] = USERS

async function outbox(db) {
  return (await db.outbox.toArray()).sort((a, b) => a.seq - b.seq)
}

async function shown(phone) {
  const entities = await phone.db.entities.toArray()
  const commands = (await phone.db.outbox.toArray()).filter((c) => c.user_id === phone.engine.user?.id)
  return overlay(entities, commands, phone.engine.user)
}

describe('push', () => {
  it('sends commands in seq order, numbered 1, 2, 3 per device, and clears them once pulled', async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 2 })
    const phone = makePhone(server)
    await phone.login(ALICE)
    const a = await phone.engine.enqueue('incident.report', reportArgs())
    const b = await phone.engine.enqueue('task.claim', { id: TASK_ID })
    const c = await phone.engine.enqueue('incident.report', reportArgs())
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3])
    expect(new Set([a.device_id, b.device_id, c.device_id]).size).toBe(1)

    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const sent = server.state.pushes.flatMap((p) => p.commands)
    expect(sent.map((cmd) => cmd.seq)).toEqual([1, 2, 3])
    expect(sent.map((cmd) => cmd.command_id)).toEqual([a.command_id, b.command_id, c.command_id])
    expect(await phone.db.outbox.count()).toBe(0) // the pull brought every entity they changed
    const view = await shown(phone)
    expect(view.incidents.map((i) => i.state)).toEqual(['reported', 'reported'])
    expect(view.tasks[0]).toMatchObject({ id: TASK_ID, mine: true, claimed: 1 })
    expect(view.tasks[0].pending).toBeUndefined()
  })

  it('pushes in batches and keeps order across them', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    for (let i = 0; i < 230; i += 1) await phone.engine.enqueue('incident.report', reportArgs())
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(server.state.pushes.map((p) => p.commands.length)).toEqual([100, 100, 30])
    const seqs = server.state.pushes.flatMap((p) => p.commands.map((c) => c.seq))
    expect(seqs).toEqual(Array.from({ length: 230 }, (_, i) => i + 1))
    expect(server.state.applied).toHaveLength(230)
  })

  it('a batch whose answer was lost after the server committed is sent again: duplicate, no double effect', async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 3 })
    const phone = makePhone(server)
    await phone.login(ALICE)
    const report = reportArgs()
    await phone.engine.enqueue('incident.report', report)
    await phone.engine.enqueue('task.claim', { id: TASK_ID })

    server.state.loseNextPushResponse = true
    expect((await phone.engine.flush()).status).toBe(FLUSH.OFFLINE)
    expect(server.state.applied).toHaveLength(2) // the server did it...
    expect((await outbox(phone.db)).map((c) => c.state)).toEqual(['pending', 'pending']) // ...the phone never heard

    // Meanwhile the phone still shows its work, laid over what it pulled.
    const before = await shown(phone)
    expect(before.incidents[0]).toMatchObject({ id: report.id, state: 'pending', local: true })

    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const second = server.state.pushes[1].commands.map((c) => c.command_id)
    expect(second).toEqual(server.state.pushes[0].commands.map((c) => c.command_id)) // same ids, same seqs
    expect(server.state.applied).toHaveLength(2) // still two: nothing applied twice
    expect([...server.state.entities.keys()].filter((k) => k.startsWith('incident:'))).toHaveLength(1)
    expect(server.state.entities.get(`task:${TASK_ID}`).claimed).toBe(1)
    expect(await phone.db.outbox.count()).toBe(0)
  })

  it('keeps a rejected command with its reason, does not send it again, and lets the user dismiss it', async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 1, claimed: 1, holders: [{ user_id: 9, name: '蔡丽' }] })
    const phone = makePhone(server)
    await phone.login(ALICE)
    const claim = await phone.engine.enqueue('task.claim', { id: TASK_ID })
    await phone.engine.enqueue('incident.report', reportArgs())
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)

    const rows = await outbox(phone.db)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ command_id: claim.command_id, state: 'rejected' })
    expect(rows[0].error.code).toBe('task_full')
    expect(rows[0].error.message).toContain('蔡丽')
    const status = await phone.engine.status()
    expect(status.pending).toBe(0)
    expect(status.rejected.map((r) => r.error.code)).toEqual(['task_full'])

    // The task shows as pulled (not mine), with the refusal attached.
    const view = await shown(phone)
    expect(view.tasks[0].mine).toBe(false)
    expect(view.tasks[0].rejected[0].error.code).toBe('task_full')

    await phone.engine.flush()
    expect(server.state.pushes).toHaveLength(1) // a rejection counts as processed
    await phone.engine.dismiss(claim.command_id)
    expect(await phone.db.outbox.count()).toBe(0)
  })

  it('after a gap, sends again from the seq the server expects', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.enqueue('incident.report', reportArgs())
    await phone.engine.enqueue('incident.report', reportArgs())
    // Acknowledged, but no pull caught up with them yet (the server withheld the rows).
    await phone.engine.flush()
    expect(server.state.applied).toHaveLength(2)

    // The server lost commands 2.. (restored from a backup): it now expects 2.
    const device = server.state.pushes[0].device_id
    const [, second] = server.state.pushes[0].commands
    server.state.devices.get(device).last_seq = 1
    server.state.commands.delete(second.command_id)
    server.state.bySeq.delete(`${device}:2`)
    server.state.applied.pop()
    server.state.entities.delete(`incident:${second.args.id}`)
    // The phone still has command 2 (as sent: a pull has not brought it back).
    await phone.db.outbox.put({ ...second, user_id: ALICE.id, device_id: device, state: 'sent', result: { entity: 'incident', id: second.args.id }, acked_at: new Date().toISOString() })

    const third = await phone.engine.enqueue('incident.report', reportArgs())
    expect(third.seq).toBe(3)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)

    const receipts = server.state.pushes.slice(1).map((p) => p.commands.map((c) => c.seq))
    expect(receipts).toEqual([[3], [2, 3]]) // 3 met a gap, then 2 and 3 went in order
    expect(server.state.applied).toHaveLength(3)
    expect(server.state.devices.get(device).last_seq).toBe(3)
    expect(await phone.db.outbox.count()).toBe(0)
  })

  it('after a gap it cannot fill, moves the unprocessed commands to a new device id', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    const first = await phone.engine.enqueue('incident.report', reportArgs())
    await phone.engine.flush()
    // The server forgets the device's first command; the phone has deleted it (pulled).
    server.state.devices.get(first.device_id).last_seq = 0
    const next = await phone.engine.enqueue('incident.report', reportArgs())
    expect(next.seq).toBe(2)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const last = server.state.pushes.at(-1)
    expect(last.device_id).not.toBe(first.device_id)
    expect(last.commands.map((c) => [c.command_id, c.seq])).toEqual([[next.command_id, 1]])
    expect(await phone.db.outbox.count()).toBe(0)
    expect(await phone.engine.deviceId(ALICE.id)).toBe(last.device_id)
  })

  it('device_taken: starts a new device id and sends the same commands under it', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    const cmd = await phone.engine.enqueue('incident.report', reportArgs())
    server.state.devices.set(cmd.device_id, { user_id: BOB.id, last_seq: 0 })
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const [refused, accepted] = server.state.pushes
    expect(refused.device_id).toBe(cmd.device_id)
    expect(accepted.device_id).not.toBe(cmd.device_id)
    expect(accepted.commands[0]).toMatchObject({ command_id: cmd.command_id, seq: 1 })
    expect(server.state.applied).toEqual([cmd.command_id])
  })
})

describe('users', () => {
  it("never sends one user's queue as another's; each goes when its user logs in again", async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 5 })
    const phone = makePhone(server)
    await phone.login(ALICE)
    server.state.pushStatus = 503 // the server is failing: Alice's work stays queued
    const alices = await phone.engine.enqueue('task.claim', { id: TASK_ID })
    expect((await phone.engine.flush()).status).toBe(FLUSH.SERVER)
    server.state.pushStatus = null

    await phone.api.logout()
    await phone.engine.forgetUser()
    expect(await phone.db.outbox.count()).toBe(1) // logout never deletes unsent work

    await phone.login(BOB)
    const bobs = await phone.engine.enqueue('incident.report', reportArgs())
    expect(bobs.device_id).not.toBe(alices.device_id)
    expect(bobs.seq).toBe(1)
    expect((await phone.engine.status()).othersPending).toBe(1)
    const before = server.state.pushes.length
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const pushedByBob = server.state.pushes.slice(before)
    expect(pushedByBob.map((p) => p.device_id)).toEqual([bobs.device_id])
    expect(pushedByBob.flatMap((p) => p.commands.map((c) => c.command_id))).toEqual([bobs.command_id])
    expect(server.state.entities.get(`task:${TASK_ID}`).claimed).toBe(0)
    expect((await phone.db.outbox.get(alices.command_id)).state).toBe('pending')
    // Bob's view holds nothing of Alice's pending claim.
    expect((await shown(phone)).tasks[0].mine).toBe(false)

    await phone.api.logout()
    await phone.engine.forgetUser()
    await phone.login(ALICE)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const last = server.state.pushes.at(-1)
    expect(last.device_id).toBe(alices.device_id)
    expect(last.commands.map((c) => c.command_id)).toEqual([alices.command_id])
    expect(server.state.entities.get(`task:${TASK_ID}`).holders.map((h) => h.user_id)).toEqual([ALICE.id])
  })

  it('401: stops, asks for a login, and sends the queue unchanged after it', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    const cmd = await phone.engine.enqueue('incident.report', reportArgs())
    server.expireSession()
    const result = await phone.engine.flush()
    expect(result.status).toBe(FLUSH.LOGIN)
    expect((await phone.engine.status()).needsLogin).toBe(true)
    expect((await phone.db.outbox.get(cmd.command_id)).state).toBe('pending')

    await phone.login(ALICE)
    expect((await phone.engine.status()).needsLogin).toBe(false)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(server.state.pushes.at(-1).commands[0]).toMatchObject({ command_id: cmd.command_id, seq: 1, device_time: cmd.device_time })
  })
})

describe('pull', () => {
  it('follows has_more through a paged snapshot, then takes changes from the cursor', async () => {
    const server = makeServer()
    for (let i = 0; i < 1203; i += 1) server.seedIncident({ id: `inc-${String(i).padStart(5, '0')}` })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    expect(await phone.db.entities.count()).toBe(1203)
    server.seedIncident({ id: 'inc-new' })
    server.record('incident', 'inc-00000', null) // a tombstone
    await phone.engine.flush()
    expect(await phone.db.entities.get(['incident', 'inc-new'])).toBeTruthy()
    expect(await phone.db.entities.get(['incident', 'inc-00000'])).toBeUndefined()
    expect(await phone.db.entities.count()).toBe(1203)
  })

  it('410 resync: drops pulled data, takes a new snapshot, keeps the outbox', async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 1, claimed: 1, holders: [{ user_id: 9, name: '蔡丽' }] })
    server.seedIncident({ id: 'old' })
    const phone = makePhone(server)
    await phone.login(ALICE)
    const refused = await phone.engine.enqueue('task.claim', { id: TASK_ID })
    await phone.engine.flush()
    expect((await phone.db.outbox.get(refused.command_id)).state).toBe('rejected')
    // Bob's queued work on the same phone, from an earlier session.
    await phone.db.outbox.add({ command_id: 'bob-1', seq: 1, type: 'incident.report', args: reportArgs(), user_id: BOB.id, device_id: 'bob-device', state: 'pending', created_at: new Date().toISOString() })
    const cursorBefore = (await phone.db.meta.get('cursor')).value.cursor

    // Months later: the incident is gone from the server, a task appeared, the cursor expired.
    server.state.entities.delete('incident:old')
    server.seedTask({ id: TASK2_ID })
    server.state.expireCursors = true
    const waiting = await phone.engine.enqueue('incident.report', reportArgs())
    server.state.pushStatus = 503
    await phone.engine.flush() // offline: nothing moves
    server.state.pushStatus = null
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)

    const keys = (await phone.db.entities.toArray()).map((e) => `${e.entity}:${e.id}`).sort()
    expect(keys).toEqual([`incident:${waiting.args.id}`, `task:${TASK2_ID}`, `task:${TASK_ID}`].sort())
    expect((await phone.db.meta.get('cursor')).value.cursor).not.toBe(cursorBefore)
    expect((await phone.db.outbox.get(refused.command_id)).state).toBe('rejected')
    expect((await phone.db.outbox.get('bob-1')).state).toBe('pending')
    expect(await phone.db.meta.get('resync')).toBeUndefined()
  })

  it('drop_scopes purges what belongs to units that left the area', async () => {
    const server = makeServer()
    server.seedIncident({ id: 'here', grid: { code: '520602002001001' }, community: { code: '520602002001' } })
    server.seedIncident({ id: 'there', grid: { code: '520602002002003' }, community: { code: '520602002002' } })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    expect(await phone.db.entities.count()).toBe(2)
    server.state.dropScopesNext = ['520602002002']
    server.seedTask({ id: TASK_ID })
    await phone.engine.flush()
    const ids = (await phone.db.entities.toArray()).map((e) => e.id).sort()
    expect(ids).toEqual([TASK_ID, 'here'].sort())
  })

  it('a different user on the phone starts from a fresh snapshot of their own', async () => {
    const server = makeServer()
    server.seedIncident({ id: 'x' })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    await phone.engine.setUser({ id: BOB.id, name: BOB.name }) // no logout in between
    expect(await phone.db.entities.count()).toBe(0)
    expect(await phone.db.meta.get('cursor')).toBeUndefined()
  })
})

describe('overlay', () => {
  it('shows a pending report as a local incident and a pending claim as claimed-pending', async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 2 })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    server.state.pushStatus = 503
    const report = reportArgs()
    await phone.engine.enqueue('incident.report', report, { grid: { code: '520602002001001', name: '北门社区第01网格' } })
    await phone.engine.enqueue('task.claim', { id: TASK_ID })
    await phone.engine.flush()
    const view = await shown(phone)
    expect(view.incidents).toHaveLength(1)
    expect(view.incidents[0]).toMatchObject({ id: report.id, state: 'pending', grid: { name: '北门社区第01网格' }, reporter: { id: ALICE.id } })
    expect(view.tasks[0]).toMatchObject({ mine: true, claimed: 1 })
    expect(view.tasks[0].pending.map((p) => p.type)).toEqual(['task.claim'])
  })

  it('does not count a claim twice when the pulled task already shows it', () => {
    const entities = [{ entity: 'task', id: 't', data: { id: 't', mine: true, claimed: 1, holders: [{ user_id: 1 }] } }]
    const commands = [{ command_id: 'c', seq: 1, type: 'task.claim', args: { id: 't' }, state: 'sent', created_at: '2026-01-01' }]
    const { tasks } = overlay(entities, commands, { id: 1, name: 'a' })
    expect(tasks[0].claimed).toBe(1)
    expect(tasks[0].pending).toHaveLength(1)
  })
})

describe('one flusher', () => {
  it('runs one flush at a time in a tab and coalesces calls made during it', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    for (let i = 0; i < 3; i += 1) await phone.engine.enqueue('incident.report', reportArgs())
    const results = await Promise.all([phone.engine.flush(), phone.engine.flush(), phone.engine.flush()])
    expect(results.map((r) => r.status)).toEqual([FLUSH.OK, FLUSH.OK, FLUSH.OK])
    expect(server.state.maxInFlight).toBe(1)
    expect(server.state.applied).toHaveLength(3)
  })

  it('skips when another tab holds the Web Lock', async () => {
    const server = makeServer()
    const held = { request: (name, options, fn) => fn(null) } // ifAvailable: someone else has it
    const phone = makePhone(server, { locks: held })
    await phone.login(ALICE)
    await phone.engine.enqueue('incident.report', reportArgs())
    expect((await phone.engine.flush()).status).toBe(FLUSH.BUSY)
    expect(server.state.pushes).toHaveLength(0)
  })
})

describe('api', () => {
  it('fetches a CSRF token before the first unsafe request, and takes the new one from login', async () => {
    const server = makeServer()
    const phone = makePhone(server)
    await phone.login(ALICE)
    expect(phone.api.token).toBe(server.state.token)
    // The server starts a new session (token changes): the client refetches once and goes on.
    server.state.token = 'rotated'
    await phone.engine.enqueue('incident.report', reportArgs())
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(phone.api.token).toBe('rotated')
  })
})

describe('reference data', () => {
  it('keeps the last good answer with its ETag and serves it offline', async () => {
    const { refresh, cached, gridQueries } = await import('../src/sync/reference.js')
    const { openDb } = await import('../src/sync/db.js')
    const db = openDb(`ref-${Date.now()}`)
    let calls = 0
    let offline = false
    const api = {
      request: async (method, path, body, headers) => {
        calls += 1
        if (offline) throw new Error('offline')
        if (headers['If-None-Match'] === '"v1"') return { status: 304, body: null, headers: new Headers() }
        return { status: 200, body: { type: 'FeatureCollection', features: [1] }, headers: new Headers({ ETag: '"v1"' }) }
      },
    }
    expect(await cached(db, 'grids')).toBeNull()
    expect((await refresh(db, api, 'grids', '/api/grids')).features).toEqual([1])
    expect((await refresh(db, api, 'grids', '/api/grids')).features).toEqual([1]) // 304
    offline = true
    expect((await refresh(db, api, 'grids', '/api/grids')).features).toEqual([1])
    expect(calls).toBe(3)
    expect(gridQueries({ units: [{ level: 'grid', code: '520602002001001' }] })).toEqual(['community=520602002001'])
  })
})
