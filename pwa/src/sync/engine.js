// The offline sync engine (docs/sync.md): commands go up in order, changes come down, the
// server decides. No Vue here: the app and the tests drive it alike.
import { ApiError, NetworkError } from './api.js'
import { PENDING, REJECTED, SENT, deleteMeta, getMeta, setMeta } from './db.js'
import { uuid as makeUuid } from './ids.js'
import { createLock } from './lock.js'
import { target } from './overlay.js'

export const PUSH_BATCH = 100
// Commands that must not wait behind a long queue (叫应: "I am here" within minutes). They go
// in a lane of their own, a second device id of the same user with its own seq, pushed before
// the main lane: the server keeps order per device, so they overtake everything queued
// (docs/sync.md, "The urgent lane").
export const URGENT = new Set(['rollcall.ack'])
export const MAIN_LANE = 'main'
export const URGENT_LANE = 'urgent'
export const PULL_LIMIT = 500
// A sent command whose entity no pull has brought (it left the user's area, say) stops
// being laid over the pulled data after this long.
export const SENT_GRACE_MS = 10 * 60 * 1000
// send() finds another tab flushing (it holds the Web Lock; within a tab flushes coalesce,
// lock.js): it asks again this often, this many times, before saying the command is queued.
const BUSY_WAIT_MS = 500
const BUSY_TRIES = 6

/** Why a flush stopped: ok, offline (no answer at all), server (it answered 5xx: it is
 * there but failing, or a proxy cannot reach it), login (the session is gone), no_user,
 * error, busy. */
export const FLUSH = { OK: 'ok', OFFLINE: 'offline', SERVER: 'server', LOGIN: 'login', NO_USER: 'no_user', ERROR: 'error', BUSY: 'busy' }

export function isoWithZone(date) {
  // 2026-11-27T14:02:11+08:00: the device's own offset, as the server expects an aware time.
  const pad = (n) => String(Math.abs(n)).padStart(2, '0')
  const offset = -date.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  )
}

/** A 4xx that retrying the same bytes cannot fix (docs/uploads.md); 401 asks for a login,
 * 408/409/423/429 are transient. */
function refusedForGood(error) {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && ![401, 408, 409, 423, 429].includes(error.status)
}

/** Unit codes an entity belongs to (its grid, community, street), for drop_scopes. */
function unitCodes(data) {
  return ['grid', 'community', 'street'].map((level) => data?.[level]?.code).filter(Boolean)
}

/**
 * createEngine({db, api, uuid?, now?, uploader?, locks?}).
 * api is createApi(...) (or a fake with get/post/request); uploader(blobRow) uploads one photo
 * and resolves when the server has it.
 */
export function createEngine({ db, api, uuid = makeUuid, now = () => new Date(), uploader = null, locks } = {}) {
  const lock = createLock('gridlink-sync', locks)
  const listeners = new Set()
  let user = null // {id, name, ...} of the session; null when logged out

  function emit(event) {
    for (const listener of listeners) listener(event)
  }

  // --- who is syncing ---------------------------------------------------------------------

  /**
   * The user of this session. A different user than the one whose data is on the phone
   * starts from a fresh snapshot; the outbox is never touched (each command keeps its user).
   */
  async function setUser(me) {
    user = me ? { id: me.id, name: me.name } : null
    if (!me) return
    await db.transaction('rw', db.meta, db.entities, async (tx) => {
      const owner = await getMeta(tx, 'pulled_for')
      if (owner !== me.id) {
        await tx.entities.clear()
        await deleteMeta(tx, 'cursor')
        await setMeta(tx, 'pulled_for', me.id)
      }
      await setMeta(tx, 'session', me)
      await deleteMeta(tx, 'needs_login')
    })
    emit({ type: 'user' })
  }

  /** Restores the last session's user from the phone (the app opens offline). */
  async function restoreUser() {
    const me = await getMeta(db, 'session')
    user = me ? { id: me.id, name: me.name } : null
    return me
  }

  /** Logout: pulled data goes (it was this user's view); unsent commands and photos stay. */
  async function forgetUser() {
    user = null
    await db.transaction('rw', db.meta, db.entities, async (tx) => {
      await tx.entities.clear()
      await deleteMeta(tx, 'cursor')
      await deleteMeta(tx, 'pulled_for')
      await deleteMeta(tx, 'session')
      await deleteMeta(tx, 'needs_login')
    })
    emit({ type: 'user' })
  }

  function laneKey(userId, lane = MAIN_LANE) {
    return lane === URGENT_LANE ? `device:${userId}:urgent` : `device:${userId}`
  }

  /** The device id of a user's lane (made on first use): main, or urgent for acknowledgements. */
  async function deviceId(userId, lane = MAIN_LANE, store = db) {
    const key = laneKey(userId, lane)
    let id = await getMeta(store, key)
    if (!id) {
      id = uuid()
      await setMeta(store, key, id)
    }
    return id
  }

  // --- commands up ------------------------------------------------------------------------

  /**
   * Queues what the user did. Returns the command at once (the UI shows it through the
   * overlay); the caller then asks for a flush. meta is local only (e.g. the grid the phone
   * placed a report in), never sent.
   */
  async function enqueue(type, args, meta = undefined) {
    if (!user) throw new Error('enqueue needs a logged-in user')
    const userId = user.id
    const at = now()
    const lane = URGENT.has(type) ? URGENT_LANE : MAIN_LANE
    const command = await db.transaction('rw', db.outbox, db.meta, async (tx) => {
      const device = await deviceId(userId, lane, tx)
      const seq = (await getMeta(tx, `seq:${device}`, 0)) + 1
      await setMeta(tx, `seq:${device}`, seq)
      const row = {
        command_id: uuid(),
        seq,
        type,
        args,
        user_id: userId,
        device_id: device,
        lane,
        device_time: isoWithZone(at),
        created_at: at.toISOString(),
        state: PENDING,
        ...(meta === undefined ? {} : { meta }),
      }
      await tx.outbox.add(row)
      return row
    })
    emit({ type: 'outbox' })
    return command
  }

  /** A user's unanswered commands: the urgent lane's first, then by device and seq. */
  async function pendingOf(userId) {
    const rows = await db.outbox.where('[user_id+state]').equals([userId, PENDING]).toArray()
    const urgentFirst = (row) => (row.lane === URGENT_LANE ? 0 : 1)
    return rows.sort(
      (a, b) => urgentFirst(a) - urgentFirst(b) || (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : a.seq - b.seq),
    )
  }

  /**
   * Moves the unprocessed commands of a device to a new device id, numbered from 1. Safe
   * because the server never processed them: it refused the device (device_taken) or stopped
   * at a gap before them. Their command ids stay (the server has never seen them).
   */
  async function renumber(userId, oldDevice) {
    await db.transaction('rw', db.outbox, db.meta, async (tx) => {
      const fresh = uuid()
      const rows = (await tx.outbox.where('[user_id+state]').equals([userId, PENDING]).toArray())
        .filter((row) => row.device_id === oldDevice)
        .sort((a, b) => a.seq - b.seq)
      // Rows of the old device keep their (device, seq) until deleted; add the new ones after.
      await tx.outbox.bulkDelete(rows.map((row) => row.command_id))
      let seq = 0
      for (const row of rows) {
        seq += 1
        await tx.outbox.add({ ...row, device_id: fresh, seq, moved_from: oldDevice })
      }
      await setMeta(tx, `seq:${fresh}`, seq)
      for (const lane of [MAIN_LANE, URGENT_LANE]) {
        if ((await getMeta(tx, laneKey(userId, lane))) === oldDevice) await setMeta(tx, laneKey(userId, lane), fresh)
      }
    })
  }

  /** Reopens the commands of a device from expected_seq on, if the phone still has them all. */
  async function reopenFrom(deviceIdValue, expected) {
    return db.transaction('rw', db.outbox, async (tx) => {
      const rows = await tx.outbox.filter((row) => row.device_id === deviceIdValue && row.seq >= expected).toArray()
      rows.sort((a, b) => a.seq - b.seq)
      if (!rows.length || rows[0].seq !== expected) return false
      for (let i = 1; i < rows.length; i += 1) if (rows[i].seq !== rows[i - 1].seq + 1) return false
      for (const row of rows) {
        if (row.state !== PENDING) await tx.outbox.update(row.command_id, { state: PENDING, error: null, result: null })
      }
      return true
    })
  }

  /** Reading a message writes no history, so no pull brings it back read: the applied
   * command is the server's word, and the phone's copy takes it. */
  async function settleRead(command, tx) {
    const key = ['message', command.args.id]
    const stored = await tx.entities.get(key)
    if (!stored) return // not pulled yet: the overlay shows it read until then
    if (!stored.data.read_at) await tx.entities.put({ ...stored, data: { ...stored.data, read_at: command.device_time } })
    await tx.outbox.delete(command.command_id)
  }

  async function applyReceipts(batch, receipts) {
    const bySeq = new Map(batch.map((row) => [row.seq, row]))
    let gap = null
    await db.transaction('rw', db.outbox, db.entities, async (tx) => {
      for (const receipt of receipts) {
        const row = bySeq.get(receipt.seq)
        if (!row || row.command_id !== receipt.command_id) continue
        const outcome = receipt.status === 'duplicate' ? receipt.outcome : receipt.status
        if (receipt.status === 'gap') {
          gap = receipt.expected_seq
          break
        }
        if (outcome === 'applied') {
          await tx.outbox.update(row.command_id, { state: SENT, result: receipt.result ?? null, acked_at: now().toISOString() })
          if (row.type === 'message.read') await settleRead(row, tx)
        } else if (outcome === 'rejected') {
          await tx.outbox.update(row.command_id, {
            state: REJECTED,
            error: receipt.error ?? { code: 'rejected', message: '', fields: {} },
            acked_at: now().toISOString(),
          })
        }
      }
    })
    return gap
  }

  async function push(userId) {
    // Each round sends one batch of one device.
    let lastGap = null
    for (let round = 0; round < 1000; round += 1) {
      const pending = await pendingOf(userId)
      if (!pending.length) return
      const device = pending[0].device_id
      const batch = pending.filter((row) => row.device_id === device).slice(0, PUSH_BATCH)
      let answer
      try {
        answer = await api.post('/api/sync/push', {
          device_id: device,
          commands: batch.map(({ command_id, seq, type, args, device_time }) => ({ command_id, seq, type, args, device_time })),
        })
      } catch (error) {
        if (error instanceof ApiError && error.code === 'device_taken') {
          await renumber(userId, device)
          continue
        }
        throw error
      }
      const gap = await applyReceipts(batch, answer.results || [])
      if (gap !== null) {
        const again = lastGap && lastGap.device === device && lastGap.seq === gap
        lastGap = { device, seq: gap }
        const resent = !again && (await reopenFrom(device, gap))
        if (!resent) {
          // The server expects commands this phone no longer has: what is left was never
          // processed, so it goes on under a new device id.
          await renumber(userId, device)
        }
      }
      emit({ type: 'outbox' })
    }
  }

  // --- changes down -----------------------------------------------------------------------

  async function applyPage(userId, page) {
    await db.transaction('rw', db.entities, db.meta, db.outbox, async (tx) => {
      if (await getMeta(tx, 'resync')) {
        // A 410 dropped the cursor: the pulled data goes with the first page of the new
        // snapshot, so the phone shows the old data until new data is there.
        if (page.snapshot) {
          await tx.entities.clear()
          await deleteMeta(tx, 'resync')
        }
      }
      if (page.drop_scopes && page.drop_scopes.length) {
        const codes = page.drop_scopes
        const gone = await tx.entities
          .filter((row) => unitCodes(row.data).some((code) => codes.some((dropped) => code.startsWith(dropped))))
          .primaryKeys()
        await tx.entities.bulkDelete(gone)
      }
      const caught = new Set()
      for (const change of page.changes || []) {
        if (change.op === 'put') await tx.entities.put({ entity: change.entity, id: change.id, data: change.data })
        else if (change.op === 'del') await tx.entities.delete([change.entity, change.id])
        caught.add(`${change.entity}:${change.id}`)
      }
      if (caught.size) {
        const sent = await tx.outbox.where('[user_id+state]').equals([userId, SENT]).toArray()
        const done = sent.filter((row) => {
          const t = target(row)
          return caught.has(`${t.entity}:${t.id}`)
        })
        await tx.outbox.bulkDelete(done.map((row) => row.command_id))
      }
      await setMeta(tx, 'cursor', { user_id: userId, cursor: page.cursor })
    })
  }

  async function pull(userId) {
    for (let page = 0; page < 10000; page += 1) {
      const stored = await getMeta(db, 'cursor')
      const cursor = stored && stored.user_id === userId ? stored.cursor : null
      const query = new URLSearchParams({ limit: String(PULL_LIMIT) })
      if (cursor) query.set('cursor', cursor)
      let answer
      try {
        answer = await api.get(`/api/sync/pull?${query}`)
      } catch (error) {
        if (error instanceof ApiError && (error.status === 410 || error.code === 'bad_cursor')) {
          await db.transaction('rw', db.meta, async (tx) => {
            await deleteMeta(tx, 'cursor')
            await setMeta(tx, 'resync', true)
          })
          continue
        }
        throw error
      }
      await applyPage(userId, answer)
      emit({ type: 'entities' })
      if (!answer.has_more) return
    }
  }

  async function expireSent(userId) {
    const limit = now().getTime() - SENT_GRACE_MS
    const old = (await db.outbox.where('[user_id+state]').equals([userId, SENT]).toArray()).filter(
      (row) => Date.parse(row.acked_at) < limit,
    )
    if (old.length) await db.outbox.bulkDelete(old.map((row) => row.command_id))
  }

  // --- photos -----------------------------------------------------------------------------

  async function storePhoto(sha256, blob) {
    if (!user) throw new Error('storePhoto needs a logged-in user')
    const existing = await db.blobs.get(sha256)
    if (!existing) await db.blobs.put({ sha256, blob, uploaded: 0, user_id: user.id, stored_at: now().toISOString() })
  }

  async function uploadPhotos(userId) {
    if (!uploader) return
    // IndexedDB cannot index booleans: uploaded is 0 (waiting), 1 (done) or -1 (refused).
    const waiting = await db.blobs.where('uploaded').equals(0).filter((row) => row.user_id === userId).toArray()
    for (const [index, row] of waiting.entries()) {
      const progress = (sent, total) => emit({ type: 'upload', sha256: row.sha256, sent, total, index, count: waiting.length })
      progress(0, row.blob?.size ?? 0)
      try {
        await uploader(row, progress)
      } catch (error) {
        // The same bytes will never be accepted (not an image, too large...): say so and go
        // on with the other photos. Anything else (offline, 5xx, busy) is tried next time.
        if (refusedForGood(error)) {
          await db.blobs.update(row.sha256, { uploaded: -1, error: { code: error.code, message: error.message } })
          continue
        }
        throw error
      } finally {
        emit({ type: 'upload', sha256: row.sha256, done: true, index, count: waiting.length })
      }
      await db.blobs.update(row.sha256, { uploaded: 1 })
    }
  }

  // --- the loop ---------------------------------------------------------------------------

  async function runFlush() {
    if (!user) return { status: FLUSH.NO_USER }
    const userId = user.id
    emit({ type: 'flush', running: true })
    let result
    try {
      await push(userId)
      await pull(userId)
      await expireSent(userId)
      await uploadPhotos(userId)
      await db.transaction('rw', db.meta, async (tx) => {
        await setMeta(tx, 'last_sync', now().toISOString())
        await deleteMeta(tx, 'last_error')
      })
      result = { status: FLUSH.OK }
    } catch (error) {
      if (error instanceof NetworkError || (error instanceof ApiError && error.status >= 500)) {
        // Nothing unanswered was processed: the same commands go again next time.
        result = { status: error instanceof NetworkError ? FLUSH.OFFLINE : FLUSH.SERVER, error }
      } else if (error instanceof ApiError && error.status === 401) {
        await setMeta(db, 'needs_login', true)
        result = { status: FLUSH.LOGIN, error }
      } else {
        await setMeta(db, 'last_error', { code: error.code || 'error', status: error.status ?? null, message: error.message, at: now().toISOString() })
        result = { status: FLUSH.ERROR, error }
      }
    }
    emit({ type: 'flush', running: false, result })
    return result
  }

  /** Push, pull, upload: one flusher at a time across tabs. Never throws. */
  async function flush() {
    const result = await lock(runFlush)
    return result ?? { status: FLUSH.BUSY }
  }

  /**
   * Queues what the user did and sends it at once. Resolves as soon as the server has answered
   * this command (not waiting for the pull or the photos), or the flush stopped without an
   * answer: {command, state: 'applied' | 'rejected' | 'kept', error (rejected), why (kept: the
   * FLUSH status that stopped it: offline, server, login, error, busy)}.
   */
  async function send(type, args, meta = undefined) {
    const command = await enqueue(type, args, meta)
    async function settled() {
      const row = await db.outbox.get(command.command_id)
      if (!row || row.state === SENT) return { command, state: 'applied' }
      if (row.state === REJECTED) return { command, state: 'rejected', error: row.error }
      return null
    }
    let off = () => {}
    const answered = new Promise((resolve) => {
      off = on((event) => {
        if (event.type === 'outbox') settled().then((outcome) => outcome && resolve(outcome))
      })
    })
    const flushed = (async () => {
      let result = await flush()
      for (let i = 0; result.status === FLUSH.BUSY && i < BUSY_TRIES; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS))
        result = await flush()
      }
      return (await settled()) ?? { command, state: 'kept', why: result.status }
    })()
    try {
      return await Promise.race([answered, flushed])
    } finally {
      off()
    }
  }

  function on(listener) {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /** Forgets a rejected command once the user has read its reason. */
  async function dismiss(commandId) {
    const row = await db.outbox.get(commandId)
    if (row && row.state === REJECTED) await db.outbox.delete(commandId)
    emit({ type: 'outbox' })
  }

  /** Counts and times for the sync details screen. */
  async function status() {
    const all = await db.outbox.toArray()
    const rows = user ? all.filter((row) => row.user_id === user.id) : []
    // Other users' unsent commands wait for them to log in again on this phone.
    const othersPending = all.filter((row) => row.user_id !== user?.id && row.state === PENDING).length
    return {
      pending: rows.filter((row) => row.state === PENDING).length,
      sent: rows.filter((row) => row.state === SENT).length,
      rejected: rows.filter((row) => row.state === REJECTED),
      othersPending,
      lastSync: await getMeta(db, 'last_sync'),
      lastError: await getMeta(db, 'last_error'),
      needsLogin: Boolean(await getMeta(db, 'needs_login')),
    }
  }

  return {
    db,
    api,
    setUser,
    restoreUser,
    forgetUser,
    get user() {
      return user
    },
    enqueue,
    send,
    flush,
    dismiss,
    status,
    storePhoto,
    deviceId,
    on,
  }
}
