import { describe, expect, it } from 'vitest'
import { GRADE_COLOURS, UNRANKED_COLOUR, figure, gradeColour, gradeCounts, kindOf, periodOf, previous, recent, withTrend } from '../src/views/assessment/periods.js'

describe('assessment periods', () => {
  it.each([
    ['month', '2026-03'],
    ['quarter', '2026-Q1'],
    ['half', '2026-H1'],
    ['year', '2026'],
  ])('names the %s of a day as the API does', (kind, key) => {
    expect(periodOf(kind, new Date(2026, 2, 15))).toBe(key)
    expect(kindOf(key)).toBe(kind)
  })

  it.each([
    ['2026-01', '2025-12'],
    ['2026-Q1', '2025-Q4'],
    ['2026-H2', '2026-H1'],
    ['2026', '2025'],
  ])('the period before %s is %s', (key, before) => {
    expect(previous(key)).toBe(before)
  })

  it('offers the running period (its draft so far), then those before, newest first', () => {
    expect(recent('month', new Date(2026, 2, 15), 3)).toEqual(['2026-03', '2026-02', '2026-01'])
    expect(recent('quarter', new Date(2026, 2, 15), 2)).toEqual(['2026-Q1', '2025-Q4'])
  })

  it('gives each row its change against the period before, and counts the grades of the ranked', () => {
    const rows = withTrend(
      [
        { id: 1, score: 80, ranked: true, grade: 'B' },
        { id: 2, score: 95.5, ranked: true, grade: 'A' },
        { id: 3, score: null, ranked: false, grade: null },
      ],
      [{ id: 1, score: 85.25 }],
    )
    expect(rows.map((r) => r.change)).toEqual([-5.25, null, null])
    expect(gradeCounts(rows)).toEqual([
      { grade: 'A', count: 1 },
      { grade: 'B', count: 1 },
      { grade: 'C', count: 0 },
      { grade: 'D', count: 0 },
      { grade: 'E', count: 0 },
    ])
  })

  it('writes figures as people read them', () => {
    expect(figure(0.8333, 'rate')).toBe('83.3%')
    expect(figure(2, 'count')).toBe('2')
    expect(figure(20.375, 'mean')).toBe('20.4')
    expect(figure(null, 'rate')).toBe('—')
  })
})

describe('gradeColour', () => {
  it('colours grades by their place in the plan, the unknown grey', () => {
    const grades = ['A', 'B', 'C', 'D', 'E']
    expect(gradeColour('A', grades)).toBe(GRADE_COLOURS[0])
    expect(gradeColour('E', grades)).toBe(GRADE_COLOURS[4])
    expect(gradeColour('F', [...grades, 'F'])).toBe(GRADE_COLOURS[4]) // past the palette: the worst
    expect(gradeColour(null, grades)).toBe(UNRANKED_COLOUR)
  })
})
