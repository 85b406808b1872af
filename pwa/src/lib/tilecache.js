// The basemap's tiles of the member's own area, fetched ahead so the map still shows streets
// offline: those covering their grids and the surroundings (half as much again on each side)
// at the zooms a member uses, a bounded count. The service worker keeps them (vite.config.js:
// the `gridlink-tiles` cache, CacheFirst, at most TILE_CACHE_ENTRIES, the oldest dropped);
// this only asks for them once a day, as the map would (the same URLs, so the same entries).
import { projection, subdomainsOf } from './basemap.js'
import { bounds } from './geo.js'

export const ZOOMS = [13, 14, 15, 16, 17]
export const MAX_TILES = 300 // of each layer; the service worker keeps at most twice as many
const DONE_KEY = 'gridlink.tiles'

/** The slippy-map tile holding a WGS-84 (or shifted) point at zoom z. */
export function tileOf(lat, lng, z) {
  const n = 2 ** z
  const x = Math.floor(((lng + 180) / 360) * n)
  const rad = (lat * Math.PI) / 180
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n)
  return { x: Math.min(Math.max(x, 0), n - 1), y: Math.min(Math.max(y, 0), n - 1) }
}

/** Tiles covering [[south, west], [north, east]] grown by `margin` of its size on each side,
 * zoom by zoom from the widest, until `limit`: a zoom that does not fit whole is left out. */
export function tilesCovering(box, { zooms = ZOOMS, limit = MAX_TILES, margin = 0.5 } = {}) {
  const [[s, w], [n, e]] = box
  const dLat = (n - s) * margin
  const dLng = (e - w) * margin
  const out = []
  for (const z of zooms) {
    const a = tileOf(n + dLat, w - dLng, z)
    const b = tileOf(s - dLat, e + dLng, z)
    const count = (b.x - a.x + 1) * (b.y - a.y + 1)
    if (out.length + count > limit) break
    for (let x = a.x; x <= b.x; x += 1) for (let y = a.y; y <= b.y; y += 1) out.push({ z, x, y })
  }
  return out
}

/** A tile's URL as Leaflet spells it: {s} is subdomains[|x + y| mod n] (Leaflet's choice). */
export function tileUrl(template, { z, x, y }, subdomains) {
  const names = [...(subdomainsOf(subdomains) || 'abc')]
  const s = names[Math.abs(x + y) % names.length]
  return template.replace(/\{(s|z|x|y|r)\}/g, (_, key) => ({ s, z, x, y, r: '' })[key])
}

/** The grids of the caller's own area: those they serve, or those inside their units. */
export function ownGrids(features, units) {
  const codes = (units || []).map((u) => u.code)
  const code = (f) => String(f.properties?.code ?? f.id)
  const grids = (units || []).filter((u) => u.level === 'grid').map((u) => u.code)
  if (grids.length) return features.filter((f) => grids.includes(code(f)))
  return features.filter((f) => codes.some((c) => code(f).startsWith(c)))
}

/** Every URL to fetch ahead for this basemap and area (both layers), bounded. */
export function tileUrls(basemap, features, units) {
  const own = projection(basemap).features(ownGrids(features || [], units))
  const box = bounds(own)
  if (!box) return []
  const tiles = tilesCovering(box)
  return [basemap.url, basemap.labels].filter(Boolean).flatMap((template) => tiles.map((t) => tileUrl(template, t, basemap.subdomains)))
}

/** Whether a service worker controls the page (the first install takes it over a moment
 * after the first screen): only then is what is fetched kept. */
export function whenControlled(ms = 30000) {
  const sw = typeof navigator !== 'undefined' ? navigator.serviceWorker : null
  if (!sw) return Promise.resolve(false)
  if (sw.controller) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    sw.addEventListener('controllerchange', () => resolve(clearTimeout(timer) || true), { once: true })
  })
}

/** Asks for the tiles (as images: what the map asks for), a few at a time, once a day, once a
 * service worker is there to keep them. */
export async function cacheOwnTiles(basemap, features, units, { storage = localStorage, today = new Date().toISOString().slice(0, 10), parallel = 6, controlled = whenControlled } = {}) {
  const urls = tileUrls(basemap, features, units)
  if (!urls.length || !(await controlled())) return 0
  const key = `${today} ${urls.length} ${urls[0]} ${urls[urls.length - 1]}`
  try {
    if (storage.getItem(DONE_KEY) === key) return 0
  } catch {
    // storage blocked: ask again
  }
  const queue = [...urls]
  const one = () =>
    new Promise((resolve) => {
      const image = new Image()
      image.crossOrigin = 'anonymous' // as the map's tiles (basemap.js tileOptions): the same request
      image.onload = image.onerror = resolve
      image.src = queue.shift()
    })
  const worker = async () => {
    while (queue.length) await one()
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  try {
    storage.setItem(DONE_KEY, key)
  } catch {
    // asked again next time: the service worker answers from its cache
  }
  return urls.length
}
