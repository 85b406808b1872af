import { describe, expect, it } from 'vitest'
import { cleanVertices, gridsTouched, intersects, polygonGeometry, segmentsMeet, selfIntersects } from '../src/lib/polygon.js'

const square = (x, y, s = 1) => ({ type: 'Polygon', coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]] })
const grid = (code, geometry) => ({ type: 'Feature', properties: { code, name: code }, geometry })

describe('building the polygon', () => {
  it('needs three distinct vertices with an area', () => {
    expect(polygonGeometry([])).toBeNull()
    expect(polygonGeometry([[0, 0], [1, 0]])).toBeNull()
    expect(polygonGeometry([[0, 0], [1, 0], [1, 0]])).toBeNull() // a double tap is one vertex
    expect(polygonGeometry([[0, 0], [1, 1], [2, 2]])).toBeNull() // all on one line
    expect(polygonGeometry([[0, 0], [1, 0], [0, 1]])).not.toBeNull()
  })

  it('is a GeoJSON Polygon with one closed, counter-clockwise ring of [lng, lat]', () => {
    const clockwise = [[109.18, 27.72], [109.18, 27.73], [109.19, 27.73], [109.19, 27.72]]
    const g = polygonGeometry(clockwise)
    expect(g.type).toBe('Polygon')
    expect(g.coordinates).toHaveLength(1)
    const ring = g.coordinates[0]
    expect(ring).toHaveLength(5)
    expect(ring[0]).toEqual(ring[4])
    expect(new Set(ring.slice(0, 4).map(String))).toEqual(new Set(clockwise.map(String)))
    let sum = 0
    for (let i = 0; i + 1 < ring.length; i += 1) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]
    expect(sum).toBeGreaterThan(0)
    expect(JSON.parse(JSON.stringify(g))).toEqual(g) // plain JSON, as sent
  })

  it('drops repeated taps and a last tap on the first vertex (that only closes it)', () => {
    const v = [[0, 0], [0, 0], [1, 0], [1, 1], [1, 1], [0, 0]]
    expect(cleanVertices(v)).toEqual([[0, 0], [1, 0], [1, 1]])
    expect(polygonGeometry(v).coordinates[0]).toHaveLength(4)
  })

  it('rounds to 7 decimals', () => {
    expect(cleanVertices([[109.123456789, 27.000000049], [110, 27], [110, 28]])[0]).toEqual([109.1234568, 27])
  })

  it('refuses a ring whose edges cross (a bow tie)', () => {
    const bowtie = [[0, 0], [1, 1], [1, 0], [0, 1]]
    expect(selfIntersects(bowtie)).toBe(true)
    expect(polygonGeometry(bowtie)).toBeNull()
    expect(selfIntersects([[0, 0], [2, 0], [2, 2], [1, 1], [0, 2]])).toBe(false) // concave is fine
  })
})

describe('segments', () => {
  it('meet when crossing, touching or overlapping, not when apart', () => {
    expect(segmentsMeet([0, 0], [2, 2], [0, 2], [2, 0])).toBe(true)
    expect(segmentsMeet([0, 0], [1, 0], [1, 0], [1, 1])).toBe(true)
    expect(segmentsMeet([0, 0], [2, 0], [1, 0], [3, 0])).toBe(true)
    expect(segmentsMeet([0, 0], [1, 0], [2, 0], [3, 0])).toBe(false)
    expect(segmentsMeet([0, 0], [1, 0], [0, 1], [1, 1])).toBe(false)
  })
})

describe('which grids the drawn area touches (the preview)', () => {
  const grids = [grid('G3', square(2, 0)), grid('G1', square(0, 0)), grid('G2', square(1, 0)), grid('G9', square(10, 10))]

  it('takes grids crossed by an edge, holding it, inside it, or only touching it', () => {
    expect(intersects(square(0.5, 0.5), square(0, 0))).toBe(true) // edges cross
    expect(intersects(square(0.2, 0.2, 0.5), square(0, 0))).toBe(true) // drawn inside a grid
    expect(intersects(square(-1, -1, 5), square(0, 0))).toBe(true) // a grid inside the drawing
    expect(intersects(square(1, 1), square(0, 0))).toBe(true) // corners touch (ST_Intersects)
    expect(intersects(square(3, 3), square(0, 0))).toBe(false)
  })

  it('lists codes in order, as the server does', () => {
    const drawn = polygonGeometry([[0.5, 0.2], [1.5, 0.2], [1.5, 0.8], [0.5, 0.8]])
    expect(gridsTouched(grids, drawn)).toEqual(['G1', 'G2'])
    expect(gridsTouched(grids, polygonGeometry([[-1, -1], [4, -1], [4, 2], [-1, 2]]))).toEqual(['G1', 'G2', 'G3'])
    expect(gridsTouched(grids, polygonGeometry([[5, 5], [6, 5], [6, 6]]))).toEqual([])
    expect(gridsTouched(grids, null)).toEqual([])
  })

  it('leaves out a grid when the drawing sits in its hole, and reads MultiPolygons', () => {
    const holed = { type: 'Polygon', coordinates: [square(0, 0, 10).coordinates[0], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]] }
    expect(intersects(holed, square(4.5, 4.5, 0.5))).toBe(false)
    expect(intersects(holed, square(3.5, 4.5, 1))).toBe(true)
    const multi = { type: 'MultiPolygon', coordinates: [square(0, 0).coordinates, square(5, 5).coordinates] }
    expect(intersects(multi, square(5.5, 5.5, 0.2))).toBe(true)
    expect(intersects(multi, square(2, 2, 0.5))).toBe(false)
  })
})
