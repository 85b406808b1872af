// Which grid holds a point, on the phone, from cached GeoJSON polygons (WGS-84, [lng, lat]).

function onSegment(x, y, [x1, y1], [x2, y2]) {
  const cross = (x - x1) * (y2 - y1) - (y - y1) * (x2 - x1)
  if (Math.abs(cross) > 1e-12) return false
  return x >= Math.min(x1, x2) - 1e-12 && x <= Math.max(x1, x2) + 1e-12 && y >= Math.min(y1, y2) - 1e-12 && y <= Math.max(y1, y2) + 1e-12
}

/** -1 outside, 0 on the ring, 1 inside (even-odd ray casting). */
function ringSide(x, y, ring) {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const a = ring[i]
    const b = ring[j]
    if (onSegment(x, y, a, b)) return 0
    if (a[1] > y !== b[1] > y && x < ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside
  }
  return inside ? 1 : -1
}

/** Whether a polygon (outer ring, then holes) covers the point; its edge counts as covered. */
function polygonCovers(x, y, rings) {
  const outer = ringSide(x, y, rings[0])
  if (outer < 0) return false
  if (outer === 0) return true
  for (const hole of rings.slice(1)) {
    const side = ringSide(x, y, hole)
    if (side > 0) return false
  }
  return true
}

export function covers(geometry, lng, lat) {
  if (!geometry) return false
  if (geometry.type === 'Polygon') return polygonCovers(lng, lat, geometry.coordinates)
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.some((rings) => polygonCovers(lng, lat, rings))
  return false
}

/**
 * The feature holding the point, or null. A point on an edge shared by two grids belongs to
 * the grid with the smaller code (the server's rule, so phone and server agree).
 */
export function locate(features, lng, lat) {
  let best = null
  for (const feature of features || []) {
    if (!covers(feature.geometry, lng, lat)) continue
    const code = feature.properties?.code ?? feature.id
    if (best === null || code < (best.properties?.code ?? best.id)) best = feature
  }
  return best
}

/** [[minLat, minLng], [maxLat, maxLng]] of features, as Leaflet's fitBounds takes it. */
export function bounds(features) {
  let minLng = Infinity
  let minLat = Infinity
  let maxLng = -Infinity
  let maxLat = -Infinity
  const visit = (coords) => {
    if (typeof coords[0] === 'number') {
      minLng = Math.min(minLng, coords[0])
      maxLng = Math.max(maxLng, coords[0])
      minLat = Math.min(minLat, coords[1])
      maxLat = Math.max(maxLat, coords[1])
    } else coords.forEach(visit)
  }
  for (const feature of features || []) if (feature.geometry) visit(feature.geometry.coordinates)
  return minLng === Infinity ? null : [[minLat, minLng], [maxLat, maxLng]]
}
