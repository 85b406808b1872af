// Reference data kept on the phone for offline use (catalogue, grid polygons): the last good
// answer is stored in meta under ref:<key> with its ETag, and revalidated when online.
import { getMeta, setMeta } from './db.js'

/** The cached value of a reference key, or null. */
export async function cached(db, key) {
  const row = await getMeta(db, `ref:${key}`)
  return row ? row.data : null
}

/**
 * Fetches path (with If-None-Match when there is a cached copy), stores and returns the
 * fresh data; on 304 returns the cached data (or null with changedOnly). Throws when offline
 * and nothing is cached.
 */
export async function refresh(db, api, key, path, { now = () => new Date(), changedOnly = false } = {}) {
  const row = await getMeta(db, `ref:${key}`)
  const headers = row?.etag ? { 'If-None-Match': row.etag } : {}
  try {
    const response = await api.request('GET', path, undefined, headers)
    // changedOnly: null when the cached copy is still good (the caller keeps what it shows).
    if (response.status === 304 && row) return changedOnly ? null : row.data
    const etag = response.headers?.get?.('ETag') ?? null
    await setMeta(db, `ref:${key}`, { data: response.body, etag, at: now().toISOString(), path })
    return response.body
  } catch (error) {
    if (row) return row.data
    throw error
  }
}

/** Which grid polygons a user needs: their community's grids (neighbours included). */
export function gridQueries(me) {
  const queries = new Set()
  for (const unit of me?.units || []) {
    if (unit.level === 'grid') queries.add(`community=${unit.code.slice(0, 12)}`)
    else if (unit.level === 'community') queries.add(`community=${unit.code}`)
    else if (unit.level === 'street') queries.add(`street=${unit.code}&simplify=5`)
    else if (unit.level === 'district') queries.add('simplify=20')
  }
  return [...queries]
}
