// The urgent lane: a roll-call acknowledgement (叫应) queued offline overtakes a long queue
// when the phone reconnects, is sent once however often the flush runs, and shows answered.
import { describe, expect, it } from 'vitest'
import { FLUSH, PUSH_BATCH, URGENT_LANE } from '../src/sync/engine.js'
import { overlay } from '../src/sync/overlay.js'
import { TASK_ID, USERS, makePhone, makeServer, reportArgs } from './helpers.js'

const [ALICE] = USERS
const CALL = '33333333-3333-4333-8333-333333333333'

async function shown(phone) {
  const entities = await phone.db.entities.toArray()
  const commands = (await phone.db.outbox.toArray()).filter((c) => c.user_id === phone.engine.user?.id)
  return overlay(entities, commands, phone.engine.user)
}

describe('the urgent lane', () => {
  it('an acknowledgement queued behind 250 offline commands is the first push on reconnect', async () => {
    const server = makeServer()
    server.seedRollcall({ id: CALL })
    const phone = makePhone(server)
    await phone.login(ALICE)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK) // the roll-call is pulled

    server.state.pushStatus = 503 // the server fails from here
    for (let i = 0; i < 250; i += 1) await phone.engine.enqueue('incident.report', reportArgs())
    const ack = await phone.engine.enqueue('rollcall.ack', { id: CALL })
    expect((await phone.engine.flush()).status).toBe(FLUSH.SERVER)

    // Its own device id and seq: the main lane's numbering is untouched.
    const main = await phone.engine.deviceId(ALICE.id)
    expect(ack).toMatchObject({ lane: URGENT_LANE, seq: 1 })
    expect(ack.device_id).not.toBe(main)
    // Answered on the phone at once, offline.
    const before = await shown(phone)
    expect(before.rollcalls[0].mine.acknowledged_at).toBeTruthy()
    expect(before.rollcalls[0].pending).toEqual([{ command_id: ack.command_id, type: 'rollcall.ack', state: 'pending' }])

    server.state.pushStatus = null
    server.state.pushes = []
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const [first, ...rest] = server.state.pushes
    expect(first).toMatchObject({ device_id: ack.device_id, commands: [{ command_id: ack.command_id, seq: 1, type: 'rollcall.ack' }] })
    expect(rest.map((p) => p.commands.length)).toEqual([PUSH_BATCH, PUSH_BATCH, 50])
    expect(rest.every((p) => p.device_id === main)).toBe(true)
    expect(server.state.applied[0]).toBe(ack.command_id)

    // The pull brought the roll-call answered: the command is gone, the answer stays.
    const after = await shown(phone)
    expect(after.rollcalls[0].mine.acknowledged_at).toBe('2026-07-01T08:05:00+08:00')
    expect(after.rollcalls[0].pending).toBeUndefined()
    expect(await phone.db.outbox.count()).toBe(0)
  })

  it('an acknowledgement made while a long queue is going up goes with the next request', async () => {
    const server = makeServer()
    server.seedRollcall({ id: CALL })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    for (let i = 0; i < 3 * PUSH_BATCH; i += 1) await phone.engine.enqueue('incident.report', reportArgs())
    let acked = null
    // The first batch is in flight when the member taps 叫应.
    phone.api.post = ((post) => async (path, body) => {
      if (path === '/api/sync/push' && !acked) acked = await phone.engine.enqueue('rollcall.ack', { id: CALL })
      return post(path, body)
    })(phone.api.post)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const lanes = server.state.pushes.map((p) => (p.commands[0].type === 'rollcall.ack' ? 'ack' : p.commands.length))
    expect(lanes).toEqual([PUSH_BATCH, 'ack', PUSH_BATCH, PUSH_BATCH])
  })

  it('sent again after a lost answer, it counts once; each lane keeps its own order', async () => {
    const server = makeServer()
    server.seedRollcall({ id: CALL })
    server.seedTask({ id: TASK_ID })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    await phone.engine.enqueue('task.claim', { id: TASK_ID })
    const ack = await phone.engine.enqueue('rollcall.ack', { id: CALL })
    server.state.loseNextPushResponse = true
    expect((await phone.engine.flush()).status).toBe(FLUSH.OFFLINE)
    expect(server.state.applied).toEqual([ack.command_id]) // applied, answer lost
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(server.state.applied.filter((id) => id === ack.command_id)).toHaveLength(1)
    expect(server.state.pushes.map((p) => p.commands.map((c) => c.type))).toEqual([['rollcall.ack'], ['rollcall.ack'], ['task.claim']])
    expect(await phone.db.outbox.count()).toBe(0)
  })

  it('a device_taken on the urgent lane moves only that lane to a new id', async () => {
    const server = makeServer()
    server.seedRollcall({ id: CALL })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    const ack = await phone.engine.enqueue('rollcall.ack', { id: CALL })
    server.state.devices.set(ack.device_id, { user_id: 99, last_seq: 0 })
    const main = await phone.engine.deviceId(ALICE.id)
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    const fresh = await phone.engine.deviceId(ALICE.id, URGENT_LANE)
    expect(fresh).not.toBe(ack.device_id)
    expect(await phone.engine.deviceId(ALICE.id)).toBe(main)
    expect(server.state.pushes.at(-1)).toMatchObject({ device_id: fresh, commands: [{ command_id: ack.command_id, seq: 1 }] })
  })
})

describe('message.read', () => {
  it('shows read at once and stays read after the command is done (no pull brings it back)', async () => {
    const server = makeServer()
    server.seedMessage({ id: 7, title: '派单：清理楼道' })
    const phone = makePhone(server)
    await phone.login(ALICE)
    await phone.engine.flush()
    await phone.engine.enqueue('message.read', { id: 7 })
    expect((await shown(phone)).messages[0].read_at).toBeTruthy()
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(await phone.db.outbox.count()).toBe(0)
    expect((await phone.db.entities.get(['message', 7])).data.read_at).toBeTruthy()
  })
})
