// The phone's IndexedDB (idb.js): the outbox of commands, pulled entities, meta, photos.
import { openDatabase } from './idb.js'

/**
 * Outbox states:
 *  - pending:  not yet answered by the server (sent again until it is);
 *  - sent:     applied (or a duplicate of an applied one); still laid over pulled data until a
 *              pull brings the entity it changed;
 *  - rejected: refused with a reason a person can read; kept until the user dismisses it.
 * A command that a pull has caught up with is deleted: the entity now says what it did.
 */
export const PENDING = 'pending'
export const SENT = 'sent'
export const REJECTED = 'rejected'

// IndexedDB's version 10 is the schema Dexie made as its version 1 (the index names are
// Dexie's): the phones that ran it keep their data.
export const DB_VERSION = 10
export const STORES = {
  // command_id is the key; seq is unique per device.
  outbox: {
    key: 'command_id',
    indexes: {
      '[device_id+seq]': { keyPath: ['device_id', 'seq'], unique: true },
      '[user_id+state]': { keyPath: ['user_id', 'state'] },
      state: { keyPath: 'state' },
    },
  },
  // entity is 'incident' or 'task'; data is the server's JSON as pulled.
  entities: { key: ['entity', 'id'], indexes: { entity: { keyPath: 'entity' } } },
  // key/value: device:<user id>, seq:<device id>, cursor, session, last_sync, ref:* caches.
  meta: { key: 'key' },
  // photos by the sha256 of the compressed file, waiting for upload or kept for display.
  blobs: { key: 'sha256', indexes: { uploaded: { keyPath: 'uploaded' }, user_id: { keyPath: 'user_id' } } },
}

/** The database (idb.js): a table or a transaction's tables are what getMeta and the rest take. */
export function openDb(name = 'gridlink', options = {}) {
  return openDatabase(name, DB_VERSION, STORES, options)
}

export async function getMeta(db, key, fallback = null) {
  const row = await db.meta.get(key)
  return row === undefined ? fallback : row.value
}

export function setMeta(db, key, value) {
  return db.meta.put({ key, value })
}

export function deleteMeta(db, key) {
  return db.meta.delete(key)
}
