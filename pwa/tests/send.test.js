import { describe, expect, it } from 'vitest'
import { FLUSH } from '../src/sync/engine.js'
import { TASK_ID, USERS, makePhone, makeServer, reportArgs } from './helpers.js'

const [ALICE, BOB] = USERS

describe('send: what became of an action', () => {
  it('says applied once the server answered it, without waiting for the pull', async () => {
    const server = makeServer()
    let release
    const held = new Promise((resolve) => (release = resolve))
    // The pull hangs until the test lets it go: send must not wait for it.
    const fetch = async (url, init) => {
      if (String(url).includes('/api/sync/pull')) await held
      return server.fetch(url, init)
    }
    const phone = makePhone({ ...server, fetch })
    await phone.login(ALICE)
    const outcome = await phone.engine.send('incident.report', reportArgs())
    expect(outcome).toMatchObject({ state: 'applied' })
    expect(server.state.applied).toEqual([outcome.command.command_id])
    release()
  })

  it('says refused, with the reason, when the server rejects it', async () => {
    const server = makeServer()
    server.seedTask({ id: TASK_ID, capacity: 1 })
    const bob = makePhone(server)
    await bob.login(BOB)
    await bob.engine.send('task.claim', { id: TASK_ID })
    await bob.api.logout()
    const alice = makePhone(server)
    await alice.login(ALICE)
    const outcome = await alice.engine.send('task.claim', { id: TASK_ID })
    expect(outcome).toMatchObject({ state: 'rejected', error: { code: 'task_full' } })
  })

  it('says kept, and why: no answer at all is offline, a 5xx is the server', async () => {
    const server = makeServer()
    let down = null
    const fetch = async (url, init) => {
      if (down === 'network') throw new TypeError('Failed to fetch')
      return server.fetch(url, init)
    }
    const phone = makePhone({ ...server, fetch })
    await phone.login(ALICE)

    down = 'network'
    expect(await phone.engine.send('incident.report', reportArgs())).toMatchObject({ state: 'kept', why: FLUSH.OFFLINE })
    down = null
    server.state.pushStatus = 502
    expect(await phone.engine.send('incident.report', reportArgs())).toMatchObject({ state: 'kept', why: FLUSH.SERVER })
    expect(await phone.db.outbox.where('state').equals('pending').count()).toBe(2) // queued in both
    server.state.pushStatus = null
    expect((await phone.engine.flush()).status).toBe(FLUSH.OK)
    expect(server.state.applied).toHaveLength(2)
  })
})
