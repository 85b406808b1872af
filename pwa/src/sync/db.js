// The phone's IndexedDB (through Dexie): the outbox of commands, pulled entities, meta, photos.
import Dexie from 'dexie'

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

export function openDb(name = 'gridlink', options = {}) {
  const db = new Dexie(name, options)
  db.version(1).stores({
    // command_id is the key; seq is unique per device.
    outbox: 'command_id, &[device_id+seq], [user_id+state], state',
    // entity is 'incident' or 'task'; data is the server's JSON as pulled.
    entities: '[entity+id], entity',
    // key/value: device:<user id>, seq:<device id>, cursor, session, last_sync, ref:* caches.
    meta: 'key',
    // photos by the sha256 of the compressed file, waiting for upload or kept for display.
    blobs: 'sha256, uploaded, user_id',
  })
  return db
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
