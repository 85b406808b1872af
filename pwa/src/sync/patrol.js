// A patrol (巡查) recorded on the phone, no Vue: the GPS fixes kept (at most one every 10 s,
// or sooner after 15 m), stored in IndexedDB as they come, and queued as `patrol.track`
// batches for the sync engine to send (docs/sync.md). Offline for hours, nothing is lost:
// the points are in the outbox, numbered by seq, and the server keeps each seq once.
import { encodePolyline } from '../lib/polyline.js'
import { deleteMeta, getMeta, setMeta } from './db.js'
import { isoWithZone } from './engine.js'
import { uuid as makeUuid } from './ids.js'

export const EVERY_S = 10
export const EVERY_M = 15
export const MIN_S = 2 // moving fast (a bicycle), still no more than a point every 2 s
export const BATCH = 30 // points per batch: five minutes of walking

const EARTH_M = 6371008.8

export function distanceM(a, b) {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Whether a fix is kept after the last kept point ({lat, lng, at}: at in ms). */
export function keeps(last, fix) {
  if (!last) return true
  const seconds = (fix.at - last.at) / 1000
  if (seconds < MIN_S) return false
  return seconds >= EVERY_S || distanceM(last, fix) >= EVERY_M
}

/** The `patrol.track` args of points[from - 1 …]: [lat, lng, t, accuracy] with t in seconds
 * after the patrol's start. */
export function trackArgs(patrol, from) {
  const chunk = patrol.points.slice(from - 1)
  let previous = 0
  return {
    id: patrol.id,
    from_seq: from,
    start: patrol.started_at,
    line: encodePolyline(chunk.map(([lat, lng]) => [lat, lng])),
    dt: chunk.map(([, , t]) => {
      const dt = Math.max(0, t - previous)
      previous = t
      return dt
    }),
    accuracy: chunk.map(([, , , accuracy]) => Math.round(accuracy)),
  }
}

/** Length in metres along the points accurate enough to count (the server's rule). */
export function lengthM(points, maxAccuracyM = 50) {
  let total = 0
  let last = null
  for (const [lat, lng, , accuracy] of points) {
    if (accuracy > maxAccuracyM) continue
    if (last) total += distanceM(last, { lat, lng })
    last = { lat, lng }
  }
  return total
}

/** Metres from a point to a checkpoint: to its point, or to its polygon ([[lng, lat], …], 0
 * inside it), on a plane around the point (checkpoints are small; metres matter near them). */
export function checkpointDistanceM(point, checkpoint) {
  if (!checkpoint.polygon) return distanceM(point, checkpoint)
  const rad = Math.PI / 180
  const kx = EARTH_M * rad * Math.cos(point.lat * rad)
  const ky = EARTH_M * rad
  const ring = checkpoint.polygon.map(([lng, lat]) => [(lng - point.lng) * kx, (lat - point.lat) * ky])
  let inside = false
  let nearest = Infinity
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]
    const [xj, yj] = ring[j]
    if (yi > 0 !== yj > 0 && 0 < ((xj - xi) * (0 - yi)) / (yj - yi) + xi) inside = !inside
    const dx = xj - xi
    const dy = yj - yi
    const along = dx || dy ? Math.max(0, Math.min(1, -(xi * dx + yi * dy) / (dx * dx + dy * dy))) : 0
    nearest = Math.min(nearest, Math.hypot(xi + along * dx, yi + along * dy))
  }
  return inside ? 0 : nearest
}

/** The plan's checkpoints as these points pass them, by the server's rule (docs/sync.md):
 * [{...checkpoint, passed_t}] with passed_t the first counted point's t within radius_m (or
 * null), and in_order (null without checkpoints). */
export function passes(points, checkpoints = [], maxAccuracyM = 50) {
  const counted = points.filter((p) => p[3] <= maxAccuracyM)
  const passed = checkpoints.map((checkpoint) => {
    const radius = checkpoint.radius_m ?? 30
    const hit = counted.find(([lat, lng]) => checkpointDistanceM({ lat, lng }, checkpoint) <= radius)
    return { ...checkpoint, passed_t: hit ? hit[2] : null }
  })
  const times = passed.map((c) => c.passed_t)
  const inOrder = times.every((t) => t !== null) && times.every((t, i) => i === 0 || times[i - 1] <= t)
  return { checkpoints: passed, in_order: checkpoints.length ? inOrder : null }
}

export function createPatrols({ db, engine, uuid = makeUuid, now = () => new Date() }) {
  const key = (userId) => `patrol:${userId}`

  /** The user's running patrol: {id, grid, started_at, started_ms, points, sent}, or null. */
  function current(userId) {
    return getMeta(db, key(userId))
  }

  async function start(userId, grid) {
    const at = now()
    const patrol = { id: uuid(), grid, started_at: isoWithZone(at), started_ms: at.getTime(), points: [], sent: 0 }
    await setMeta(db, key(userId), patrol)
    await engine.enqueue('patrol.start', { id: patrol.id, grid, device_time: patrol.started_at }, { grid })
    return patrol
  }

  async function send(patrol) {
    if (patrol.points.length > patrol.sent) {
      await engine.enqueue('patrol.track', trackArgs(patrol, patrol.sent + 1))
      patrol.sent = patrol.points.length
    }
  }

  /** A GPS fix {lat, lng, accuracy, at (ms)}: kept or not; a full batch is queued. */
  async function addFix(userId, fix) {
    const patrol = await current(userId)
    if (!patrol) return null
    const last = patrol.points.at(-1)
    // The last fix's own time: its t is rounded to the second, too coarse for the 2 s rule.
    const lastFix = last && { lat: last[0], lng: last[1], at: patrol.last_at }
    if (!keeps(lastFix, fix)) return patrol
    const t = Math.max(last ? last[2] : 0, Math.round((fix.at - patrol.started_ms) / 1000))
    patrol.points.push([fix.lat, fix.lng, t, fix.accuracy])
    patrol.last_at = fix.at
    if (patrol.points.length - patrol.sent >= BATCH) await send(patrol)
    await setMeta(db, key(userId), patrol)
    return patrol
  }

  /** End the patrol: the points not yet queued go, then patrol.end. */
  async function stop(userId) {
    const patrol = await current(userId)
    if (!patrol) return null
    await send(patrol)
    await engine.enqueue('patrol.end', { id: patrol.id, device_time: isoWithZone(now()) })
    await setMeta(db, `${key(userId)}:last`, { ...patrol, ended_at: isoWithZone(now()) })
    await deleteMeta(db, key(userId))
    return patrol
  }

  /** The last patrol ended on this phone (its points, for its page before the server's). */
  function last(userId) {
    return getMeta(db, `${key(userId)}:last`)
  }

  return { current, start, addFix, stop, last }
}
