// The sync engine's public face: plain JS, no Vue.
export { ApiError, NetworkError, createApi } from './api.js'
export { PENDING, REJECTED, SENT, getMeta, openDb, setMeta } from './db.js'
export { FLUSH, createEngine } from './engine.js'
export { liveQuery } from './idb.js'
export { uuid } from './ids.js'
export { overlay, target } from './overlay.js'
export { cached, gridQueries, refresh } from './reference.js'
export { installTriggers } from './triggers.js'
