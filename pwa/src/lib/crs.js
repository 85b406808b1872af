// WGS-84 ↔ GCJ-02 ("Mars" coordinates of Chinese web maps), for drawing on a GCJ-02 basemap.
// The published algorithm, as geo/crs.py has it (same constants, same box, same iteration):
// the phone and the server agree to ~1e-12 degrees. Only ever applied at the map's edge: what
// is stored or sent stays WGS-84.

// Krasovsky 1940 ellipsoid: GCJ-02 is defined on it, not on WGS-84.
const A = 6378245.0
const EE = 0.00669342162296594323
const PI = Math.PI

export { crsName } from './settings.js'

/** Outside the rough box where GCJ-02 applies an offset (there it equals WGS-84). */
export function outOfChina(lng, lat) {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

/** GCJ-02 minus WGS-84 (degrees) at a WGS-84 position: [dlng, dlat], zero outside China. */
function offset(lng, lat) {
  if (outOfChina(lng, lat)) return [0, 0]
  const x = lng - 105.0
  const y = lat - 35.0
  const common = ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0
  const sqrtAbsX = Math.sqrt(Math.abs(x))
  let dlat =
    -100.0 +
    2.0 * x +
    3.0 * y +
    0.2 * y * y +
    0.1 * x * y +
    0.2 * sqrtAbsX +
    common +
    ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0 +
    ((160.0 * Math.sin((y / 12.0) * PI) + 320.0 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0
  let dlng =
    300.0 +
    x +
    2.0 * y +
    0.1 * x * x +
    0.1 * x * y +
    0.1 * sqrtAbsX +
    common +
    ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0 +
    ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0
  const radlat = (lat / 180.0) * PI
  const magic = 1.0 - EE * Math.sin(radlat) ** 2
  const sqrtMagic = Math.sqrt(magic)
  dlat = (dlat * 180.0) / (((A * (1.0 - EE)) / (magic * sqrtMagic)) * PI)
  dlng = (dlng * 180.0) / ((A / sqrtMagic) * Math.cos(radlat) * PI)
  return [dlng, dlat]
}

/** WGS-84 → GCJ-02: [lng, lat]. */
export function wgs84ToGcj02(lng, lat) {
  const [dlng, dlat] = offset(lng, lat)
  return [lng + dlng, lat + dlat]
}

/**
 * GCJ-02 → WGS-84: [lng, lat], the inverse of wgs84ToGcj02 to ~1e-12 degrees. The fixed point
 * w = g − offset(w) contracts fast (each step gains ~5 digits); 6 steps, as geo/crs.py.
 */
export function gcj02ToWgs84(lng, lat) {
  if (outOfChina(lng, lat)) return [lng, lat]
  let wLng = lng
  let wLat = lat
  for (let i = 0; i < 6; i += 1) {
    const [gLng, gLat] = wgs84ToGcj02(wLng, wLat)
    wLng -= gLng - lng
    wLat -= gLat - lat
  }
  return [wLng, wLat]
}

/** A GeoJSON geometry with every [lng, lat] position mapped through fn(lng, lat) → [lng, lat]. */
export function mapGeometry(geometry, fn) {
  if (!geometry) return geometry
  if (geometry.type === 'GeometryCollection') return { ...geometry, geometries: geometry.geometries.map((g) => mapGeometry(g, fn)) }
  const visit = (coords) => (typeof coords[0] === 'number' ? [...fn(coords[0], coords[1]), ...coords.slice(2)] : coords.map(visit))
  return { ...geometry, coordinates: visit(geometry.coordinates) }
}
