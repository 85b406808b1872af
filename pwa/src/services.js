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
