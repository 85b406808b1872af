import { describe, expect, it } from 'vitest'
import { crsName, gcj02ToWgs84, mapGeometry, outOfChina, wgs84ToGcj02 } from '../src/lib/crs.js'

// Computed with geo/crs.py, the server's conversion:
//   PYTHONPATH=. .venv/bin/python -c "from geo import crs; print(crs.wgs84_to_gcj02(109.19, 27.72), crs.gcj02_to_wgs84(109.19, 27.72))"
// gcj = wgs84_to_gcj02(wgs); fromGcj = gcj02_to_wgs84(wgs taken as a GCJ-02 position).
const CASES = [
  { name: "Tongren (Bijiang)", wgs: [109.19, 27.72], gcj: [109.19457761019022, 27.716728497510644], fromGcj: [109.18541557721693, 27.723263671820288] },
  { name: "Beijing", wgs: [116.397428, 39.90923], gcj: [116.40367162595768, 39.91063350638631], fromGcj: [116.39118683604012, 39.90782876399083] },
  { name: "Shanghai", wgs: [121.4737, 31.2304], gcj: [121.47822305927693, 31.22845773757727], fromGcj: [121.4691622633295, 31.232329239037504] },
  { name: "Urumqi", wgs: [87.6168, 43.8256], gcj: [87.61964994946926, 43.82680539311119], fromGcj: [87.61395281940622, 43.82439603947834] },
  { name: "Haikou", wgs: [110.3312, 20.0319], gcj: [110.33557088545713, 20.02985300118148], fromGcj: [110.32683873408168, 20.033957020252927] },
  { name: "Harbin", wgs: [126.6424, 45.7567], gcj: [126.64836981630474, 45.75865110185797], fromGcj: [126.63644391917094, 45.754757387045686] },
  { name: "Paris (outside China)", wgs: [2.3522, 48.8566], gcj: [2.3522, 48.8566], fromGcj: [2.3522, 48.8566] },
]

// metres between two [lng, lat] (equirectangular: fine at this scale)
const metres = ([lng1, lat1], [lng2, lat2]) => {
  const k = 111320
  return Math.hypot((lat1 - lat2) * k, (lng1 - lng2) * k * Math.cos((lat1 * Math.PI) / 180))
}

describe('WGS-84 → GCJ-02', () => {
  it.each(CASES)('matches geo/crs.py at $name', ({ wgs, gcj }) => {
    const [lng, lat] = wgs84ToGcj02(...wgs)
    expect(Math.abs(lng - gcj[0])).toBeLessThan(1e-10)
    expect(Math.abs(lat - gcj[1])).toBeLessThan(1e-10)
  })

  it('shifts by a few hundred metres in China, not at all outside', () => {
    const shift = metres(wgs84ToGcj02(109.19, 27.72), [109.19, 27.72])
    expect(shift).toBeGreaterThan(300)
    expect(shift).toBeLessThan(700)
    expect(wgs84ToGcj02(2.3522, 48.8566)).toEqual([2.3522, 48.8566])
    expect(outOfChina(2.3522, 48.8566)).toBe(true)
    expect(outOfChina(109.19, 27.72)).toBe(false)
  })
})

describe('GCJ-02 → WGS-84', () => {
  it.each(CASES)('matches geo/crs.py at $name', ({ wgs, fromGcj }) => {
    const [lng, lat] = gcj02ToWgs84(...wgs)
    expect(Math.abs(lng - fromGcj[0])).toBeLessThan(1e-10)
    expect(Math.abs(lat - fromGcj[1])).toBeLessThan(1e-10)
  })

  it.each(CASES)('round-trips within a millimetre at $name', ({ wgs }) => {
    const back = gcj02ToWgs84(...wgs84ToGcj02(...wgs))
    expect(metres(back, wgs)).toBeLessThan(0.001)
  })

  it('round-trips across the district within ~1 m (a grid of points)', () => {
    let worst = 0
    for (let lng = 108.9; lng <= 109.4; lng += 0.05) {
      for (let lat = 27.5; lat <= 27.9; lat += 0.05) {
        worst = Math.max(worst, metres(gcj02ToWgs84(...wgs84ToGcj02(lng, lat)), [lng, lat]))
      }
    }
    expect(worst).toBeLessThan(1)
  })
})

describe('crsName and mapGeometry', () => {
  it('reads the CRS as the server spells it', () => {
    expect(crsName('GCJ-02')).toBe('gcj02')
    expect(crsName('wgs_84')).toBe('wgs84')
    expect(crsName('bd09')).toBeNull()
    expect(crsName(null)).toBeNull()
  })

  it('maps every position of a geometry and leaves the original alone', () => {
    const polygon = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }
    const moved = mapGeometry(polygon, (x, y) => [x + 10, y + 20])
    expect(moved.coordinates).toEqual([[[10, 20], [11, 20], [11, 21], [10, 20]]])
    expect(polygon.coordinates[0][1]).toEqual([1, 0])
    const point = mapGeometry({ type: 'Point', coordinates: [1, 2, 300] }, (x, y) => [x * 2, y * 2])
    expect(point.coordinates).toEqual([2, 4, 300])
    const collection = mapGeometry({ type: 'GeometryCollection', geometries: [polygon] }, (x, y) => [y, x])
    expect(collection.geometries[0].coordinates[0][1]).toEqual([0, 1])
    expect(mapGeometry(null, () => [0, 0])).toBeNull()
  })
})
