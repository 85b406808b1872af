// An area drawn on the emergency console's map, as the API takes it: a GeoJSON Polygon in
// WGS-84 ([lng, lat], one closed ring), and which grids it touches, for a preview only (the
// server decides with its own intersection: it says 422 `scope: ["no grid"]` if none).
// Plain functions on [lng, lat] pairs, no Leaflet: tested in Node.
import { covers } from './geo.js'

const EPS = 1e-12
const DIGITS = 1e7 // 7 decimals: about a centimetre, and the same number on the phone and in the request

const same = (a, b) => Math.abs(a[0] - b[0]) < EPS && Math.abs(a[1] - b[1]) < EPS
const round = ([lng, lat]) => [Math.round(lng * DIGITS) / DIGITS, Math.round(lat * DIGITS) / DIGITS]

/** Twice the signed area of an open or closed ring (positive: counter-clockwise). */
function area2(ring) {
  let sum = 0
  for (let i = 0; i < ring.length; i += 1) {
    const [x1, y1] = ring[i]
    const [x2, y2] = ring[(i + 1) % ring.length]
    sum += x1 * y2 - x2 * y1
  }
  return sum
}

/**
 * The vertices as they were tapped ([lng, lat]), rounded, with repeated taps on one spot
 * dropped (and a last tap on the first vertex, which only meant "close it"). Null if fewer
 * than three distinct vertices or no area remains (all on one line).
 */
export function cleanVertices(vertices) {
  const out = []
  for (const v of vertices || []) {
    if (!Array.isArray(v) || !Number.isFinite(v[0]) || !Number.isFinite(v[1])) continue
    const p = round(v)
    if (!out.length || !same(out[out.length - 1], p)) out.push(p)
  }
  while (out.length > 1 && same(out[0], out[out.length - 1])) out.pop()
  if (out.length < 3 || Math.abs(area2(out)) < EPS) return null
  return out
}

/** Whether two segments meet (crossing, touching at an end, or overlapping). */
function orient(a, b, c) {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
  return Math.abs(v) < EPS ? 0 : Math.sign(v)
}
function within(a, b, c) {
  return Math.min(a[0], b[0]) - EPS <= c[0] && c[0] <= Math.max(a[0], b[0]) + EPS && Math.min(a[1], b[1]) - EPS <= c[1] && c[1] <= Math.max(a[1], b[1]) + EPS
}
export function segmentsMeet(p1, p2, q1, q2) {
  const o1 = orient(p1, p2, q1)
  const o2 = orient(p1, p2, q2)
  const o3 = orient(q1, q2, p1)
  const o4 = orient(q1, q2, p2)
  if (o1 !== o2 && o3 !== o4 && o1 * o2 <= 0 && o3 * o4 <= 0) return true
  return (o1 === 0 && within(p1, p2, q1)) || (o2 === 0 && within(p1, p2, q2)) || (o3 === 0 && within(q1, q2, p1)) || (o4 === 0 && within(q1, q2, p2))
}

/** Whether the ring closed over these (open) vertices crosses itself: the server would refuse it. */
export function selfIntersects(vertices) {
  const n = vertices.length
  if (n < 4) return false
  for (let i = 0; i < n; i += 1) {
    const a1 = vertices[i]
    const a2 = vertices[(i + 1) % n]
    for (let j = i + 1; j < n; j += 1) {
      // Neighbouring edges share a vertex; that is not a crossing.
      if (j === i + 1 || (i === 0 && j === n - 1)) continue
      if (segmentsMeet(a1, a2, vertices[j], vertices[(j + 1) % n])) return true
    }
  }
  return false
}

/**
 * The drawn area as a GeoJSON Polygon: WGS-84 [lng, lat], one ring, closed (first vertex
 * repeated last), counter-clockwise as RFC 7946 asks. Null if it is not an area yet (fewer
 * than three distinct vertices) or if its edges cross.
 */
export function polygonGeometry(vertices) {
  const ring = cleanVertices(vertices)
  if (!ring || selfIntersects(ring)) return null
  if (area2(ring) < 0) ring.reverse()
  return { type: 'Polygon', coordinates: [[...ring, [...ring[0]]]] }
}

/** The polygons of a Polygon or MultiPolygon geometry, each a list of rings. */
function polygonsOf(geometry) {
  if (geometry?.type === 'Polygon') return [geometry.coordinates]
  if (geometry?.type === 'MultiPolygon') return geometry.coordinates
  return []
}

function box(geometry) {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const rings of polygonsOf(geometry)) {
    for (const ring of rings) {
      for (const [x, y] of ring) {
        minX = Math.min(minX, x)
        maxX = Math.max(maxX, x)
        minY = Math.min(minY, y)
        maxY = Math.max(maxY, y)
      }
    }
  }
  return [minX, minY, maxX, maxY]
}

function edges(geometry) {
  const out = []
  for (const rings of polygonsOf(geometry)) {
    for (const ring of rings) {
      for (let i = 0; i + 1 < ring.length; i += 1) out.push([ring[i], ring[i + 1]])
      // A ring left open still has its closing edge.
      if (ring.length > 2 && !same(ring[0], ring[ring.length - 1])) out.push([ring[ring.length - 1], ring[0]])
    }
  }
  return out
}

/**
 * Whether two (Multi)Polygons share any point, edges and holes included, as the server's
 * ST_Intersects: an edge of one meets an edge of the other, or one holds a vertex of the
 * other (one wholly inside the other).
 */
export function intersects(a, b) {
  const [ax1, ay1, ax2, ay2] = box(a)
  const [bx1, by1, bx2, by2] = box(b)
  if (ax1 > bx2 + EPS || bx1 > ax2 + EPS || ay1 > by2 + EPS || by1 > ay2 + EPS) return false
  const ea = edges(a)
  const eb = edges(b)
  for (const [p1, p2] of ea) for (const [q1, q2] of eb) if (segmentsMeet(p1, p2, q1, q2)) return true
  const firstVertex = (g) => polygonsOf(g)[0]?.[0]?.[0]
  const va = firstVertex(a)
  const vb = firstVertex(b)
  return Boolean((va && covers(b, va[0], va[1])) || (vb && covers(a, vb[0], vb[1])))
}

/** The codes of the grids (GeoJSON features) a drawn geometry touches, in code order. */
export function gridsTouched(features, geometry) {
  if (!geometry) return []
  const codes = []
  for (const feature of features || []) {
    if (feature?.geometry && intersects(feature.geometry, geometry)) codes.push(feature.properties?.code ?? feature.id)
  }
  return codes.sort()
}
