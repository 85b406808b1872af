// The app's single database, API client and sync engine (plain JS, shared by the stores).
import { createApi, createEngine, openDb } from './sync/index.js'
import { uploadPhoto } from './photos.js'

export const db = openDb('gridlink')
export const api = createApi()
export const engine = createEngine({
  db,
  api,
  uploader: (row, onProgress) => uploadPhoto({ api, db, row, onProgress, userId: row.user_id }),
})

/**
 * Keeps the chosen photos on the phone until they are uploaded, and names them as a command
 * does: [{sha256, kind, taken_at}]; `kind` is a photo kind or a function of the index.
 */
export async function keepPhotos(photos, kind) {
  for (const p of photos) await engine.storePhoto(p.sha256, p.blob)
  return photos.map((p, i) => ({ sha256: p.sha256, kind: typeof kind === 'function' ? kind(i) : kind, taken_at: p.taken_at }))
}

/** A point as commands carry it: WGS-84 degrees to 7 places (about a centimetre). */
export const commandPoint = (point) => ({ lat: Number(point.lat.toFixed(7)), lng: Number(point.lng.toFixed(7)) })
