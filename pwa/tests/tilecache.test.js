// The basemap's tiles fetched ahead for the map offline: the tiles of the member's own area and
// its surroundings, at a bounded count, the URLs Leaflet itself asks for (so the service worker
// answers the map from the same entries), both layers, shifted over a GCJ-02 basemap.
import { describe, expect, it } from 'vitest'
import { wgs84ToGcj02 } from '../src/lib/crs.js'
import { MAX_TILES, cacheOwnTiles, ownGrids, tileOf, tileUrl, tileUrls, tilesCovering } from '../src/lib/tilecache.js'

const square = (code, w, s, size = 0.01) => ({
  type: 'Feature',
  id: code,
  properties: { code },
  geometry: { type: 'Polygon', coordinates: [[[w, s], [w + size, s], [w + size, s + size], [w, s + size], [w, s]]] },
})
const MINE = square('G1', 109.18, 27.71)
const OTHER = square('G2', 109.3, 27.8)

describe('tiles', () => {
  it('numbers tiles as slippy maps do', () => {
    expect(tileOf(0, 0, 1)).toEqual({ x: 1, y: 1 })
    expect(tileOf(27.72, 109.19, 15)).toEqual({ x: 26322, y: 13756 }) // x = ⌊(λ+180)/360·2ᶻ⌋, y = ⌊(1 − asinh(tan φ)/π)/2·2ᶻ⌋
  })

  it('covers the area and its surroundings zoom by zoom, never past the bound', () => {
    const tiles = tilesCovering([[27.71, 109.18], [27.72, 109.19]])
    expect(tiles.length).toBeLessThanOrEqual(MAX_TILES)
    const zooms = [...new Set(tiles.map((t) => t.z))]
    expect(zooms[0]).toBe(13)
    expect(zooms).toEqual([...zooms].sort()) // the widest first; a zoom that does not fit is left out
    const z16 = tiles.filter((t) => t.z === 16)
    const centre = tileOf(27.715, 109.185, 16)
    expect(z16).toContainEqual({ z: 16, ...centre })
    expect(tilesCovering([[27.71, 109.18], [27.72, 109.19]], { limit: 10 }).length).toBeLessThanOrEqual(10)
  })

  it('spells a URL as Leaflet does, the subdomain by |x + y|', () => {
    expect(tileUrl('https://t{s}.x/{z}/{x}/{y}.png', { z: 3, x: 1, y: 2 }, '01234567')).toBe('https://t3.x/3/1/2.png')
    expect(tileUrl('https://{s}.x/{z}/{x}/{y}', { z: 3, x: 1, y: 1 })).toBe('https://c.x/3/1/1')
    expect(tileUrl('https://{s}.x/{z}/{x}/{y}', { z: 3, x: 1, y: 0 }, 'a1,b2')).toBe('https://b2.x/3/1/0')
  })

  it('takes the grids I serve, or those inside my units', () => {
    expect(ownGrids([MINE, OTHER], [{ code: 'G1', level: 'grid' }])).toEqual([MINE])
    expect(ownGrids([MINE, OTHER], [{ code: 'G', level: 'community' }])).toEqual([MINE, OTHER])
    expect(ownGrids([MINE, OTHER], [])).toEqual([])
  })

  it('asks for both layers of my area; over GCJ-02 the shifted tiles', () => {
    const basemap = { url: 'https://v/{z}/{x}/{y}', labels: 'https://l/{z}/{x}/{y}', crs: 'wgs84', subdomains: '' }
    const units = [{ code: 'G1', level: 'grid' }]
    const urls = tileUrls(basemap, [MINE, OTHER], units)
    expect(urls.filter((u) => u.startsWith('https://v/')).length).toBe(urls.length / 2)
    const here = tileOf(27.715, 109.185, 17)
    expect(urls).toContain(`https://v/17/${here.x}/${here.y}`)
    expect(urls).toContain(`https://l/17/${here.x}/${here.y}`)
    const shifted = tileUrls({ ...basemap, crs: 'gcj02' }, [MINE], units)
    const [lng, lat] = wgs84ToGcj02(109.185, 27.715)
    const there = tileOf(lat, lng, 17)
    expect(shifted).toContain(`https://v/17/${there.x}/${there.y}`)
  })

  it('fetches them once a day, as images, once a service worker keeps them', async () => {
    const asked = []
    globalThis.Image = class {
      set src(url) {
        asked.push(url)
        queueMicrotask(() => this.onload())
      }
    }
    const kept = new Map()
    const storage = { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => kept.set(k, v) }
    const basemap = { url: 'https://v/{z}/{x}/{y}', crs: 'wgs84' }
    const units = [{ code: 'G1', level: 'grid' }]
    const at = (today, controlled = async () => true) => cacheOwnTiles(basemap, [MINE], units, { storage, today, controlled })
    expect(await at('2026-12-02', async () => false)).toBe(0) // nothing would keep them yet
    expect(asked).toHaveLength(0)
    const n = await at('2026-12-02')
    expect(n).toBeGreaterThan(0)
    expect(asked).toHaveLength(n)
    expect(await at('2026-12-02')).toBe(0)
    expect(await at('2026-12-03')).toBe(n)
    delete globalThis.Image
  })
})
