import { describe, expect, it } from 'vitest'
import { bounds, covers, locate } from '../src/lib/geo.js'

const square = (code, x0, y0, x1, y1) => ({
  type: 'Feature',
  id: code,
  properties: { code },
  geometry: { type: 'MultiPolygon', coordinates: [[[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]] },
})

describe('locate', () => {
  const west = square('520602002001002', 109.0, 27.0, 109.1, 27.1)
  const east = square('520602002001001', 109.1, 27.0, 109.2, 27.1)

  it('finds the grid holding a point', () => {
    expect(locate([west, east], 109.05, 27.05).id).toBe('520602002001002')
    expect(locate([west, east], 109.15, 27.05).id).toBe('520602002001001')
  })

  it('gives a point on a shared edge to the smaller code, as the server does', () => {
    expect(locate([west, east], 109.1, 27.05).id).toBe('520602002001001')
    expect(locate([east, west], 109.1, 27.05).id).toBe('520602002001001')
  })

  it('answers null outside every grid', () => {
    expect(locate([west, east], 110, 27.05)).toBeNull()
    expect(locate([], 109.05, 27.05)).toBeNull()
  })

  it('respects holes in polygons', () => {
    const ring = {
      type: 'Polygon',
      coordinates: [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
      ],
    }
    expect(covers(ring, 2, 2)).toBe(true)
    expect(covers(ring, 5, 5)).toBe(false)
  })

  it('computes bounds for fitting the map', () => {
    expect(bounds([square('a', 1, 2, 3, 4)])).toEqual([[2, 1], [4, 3]])
    expect(bounds([])).toBeNull()
  })
})
