import { describe, expect, it } from 'vitest'
import { addBasemap, projection, tileOptions, usableBasemap } from '../src/lib/basemap.js'
import { wgs84ToGcj02 } from '../src/lib/crs.js'

const TONGREN = { lat: 27.72, lng: 109.19 }
const square = {
  type: 'Feature',
  id: 'g1',
  properties: { code: 'g1' },
  geometry: { type: 'MultiPolygon', coordinates: [[[[109.18, 27.71], [109.2, 27.71], [109.2, 27.73], [109.18, 27.73], [109.18, 27.71]]]] },
}
// metres between two WGS-84 points (equirectangular: fine at this scale)
const metres = (a, b) => {
  const k = 111320
  return Math.hypot((a.lat - b.lat) * k, (a.lng - b.lng) * k * Math.cos((a.lat * Math.PI) / 180))
}

describe('usableBasemap', () => {
  it('is null with no basemap, or one that cannot be drawn right', () => {
    expect(usableBasemap(null)).toBeNull()
    expect(usableBasemap({ basemap: null })).toBeNull()
    expect(usableBasemap({ basemap: { url: '' } })).toBeNull()
    expect(usableBasemap({ basemap: { url: 'https://t/{z}/{x}/{y}.png', crs: 'bd09' } })).toBeNull()
  })

  it('names the CRS as the server does, WGS-84 when unsaid', () => {
    expect(usableBasemap({ basemap: { url: 'u', crs: 'GCJ-02' } }).crs).toBe('gcj02')
    expect(usableBasemap({ basemap: { url: 'u' } }).crs).toBe('wgs84')
  })
})

describe('projection', () => {
  it('leaves everything alone with no basemap or a WGS-84 one', () => {
    for (const p of [projection(null), projection({ url: 'u', crs: 'wgs84' })]) {
      expect(p.shifted).toBe(false)
      expect(p.toMap(TONGREN.lat, TONGREN.lng)).toEqual([27.72, 109.19])
      expect(p.fromMap(27.72, 109.19)).toEqual(TONGREN)
      expect(p.features([square])[0]).toBe(square)
    }
  })

  it('draws WGS-84 data shifted onto a GCJ-02 basemap, without touching the data', () => {
    const p = projection({ url: 'u', crs: 'gcj02' })
    const [lat, lng] = p.toMap(TONGREN.lat, TONGREN.lng)
    const [gLng, gLat] = wgs84ToGcj02(TONGREN.lng, TONGREN.lat)
    expect([lat, lng]).toEqual([gLat, gLng])
    // a few hundred metres in Guizhou
    const shift = metres({ lat, lng }, TONGREN)
    expect(shift).toBeGreaterThan(100)
    expect(shift).toBeLessThan(1000)
    const before = JSON.stringify(square)
    const [drawn] = p.features([square])
    expect(JSON.stringify(square)).toBe(before)
    const [x, y] = drawn.geometry.coordinates[0][0][0]
    expect([x, y]).toEqual(wgs84ToGcj02(109.18, 27.71))
    expect(drawn.properties).toBe(square.properties)
  })

  it('gives back WGS-84 for a pin moved on a GCJ-02 map (round trip well under a metre)', () => {
    const p = projection({ url: 'u', crs: 'gcj02' })
    const [lat, lng] = p.toMap(TONGREN.lat, TONGREN.lng)
    const back = p.fromMap(lat, lng)
    expect(metres(back, TONGREN)).toBeLessThan(0.001)
  })
})

describe('tiles', () => {
  it('reads subdomains as Leaflet does, or as a list', () => {
    expect(tileOptions({ url: 'u', subdomains: 'abc', attribution: '© OSM' })).toEqual({ maxZoom: 19, attribution: '© OSM', subdomains: 'abc', crossOrigin: 'anonymous' })
    expect(tileOptions({ url: 'u', subdomains: 't0, t1,t2' }).subdomains).toEqual(['t0', 't1', 't2'])
    expect(tileOptions({ url: 'u', subdomains: '' })).not.toHaveProperty('subdomains')
  })

  it('adds a tile layer and its attribution only when there is a basemap', () => {
    const calls = []
    const layer = (kind) => ({
      addTo() {
        calls.push(kind)
        return this
      },
      bringToBack() {
        return this
      },
      addAttribution(text) {
        calls.push(`attribution:${text}`)
        return this
      },
    })
    const L = {
      tileLayer: (url) => (calls.push(`tiles:${url}`), layer('tile layer')),
      control: { attribution: () => layer('attribution control') },
    }
    expect(addBasemap(L, {}, null)).toEqual([])
    expect(calls).toEqual([])
    const layers = addBasemap(L, {}, { url: '/tiles/{z}/{x}/{y}.png', crs: 'gcj02', attribution: '高德' })
    expect(layers).toHaveLength(2)
    expect(calls).toEqual(['tiles:/tiles/{z}/{x}/{y}.png', 'tile layer', 'attribution:高德', 'attribution control'])
  })

  it("draws 天地图's labels (注记) over its vector layer", () => {
    const added = []
    const layer = { addTo: () => layer, bringToBack: () => layer, addAttribution: () => layer }
    const L = { tileLayer: (url) => (added.push(url), layer), control: { attribution: () => layer } }
    const layers = addBasemap(L, {}, { url: 'https://t{s}/vec_w', labels: 'https://t{s}/cva_w', crs: 'wgs84', subdomains: '01234567' })
    expect(added).toEqual(['https://t{s}/vec_w', 'https://t{s}/cva_w'])
    expect(layers).toHaveLength(2)
  })
})
