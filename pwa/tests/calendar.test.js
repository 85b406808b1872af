// 工作日历: which years the district still has to enter, and the server's problems per year.
import { describe, expect, it } from 'vitest'
import { emptyYear, missingYears, problemsOf, spanDays } from '../src/lib/calendar.js'

describe('missingYears', () => {
  const y2026 = [{ year: 2026 }]
  it('asks for the current year at once and for the next from November', () => {
    expect(missingYears(y2026, new Date(2026, 9, 31))).toEqual([])
    expect(missingYears(y2026, new Date(2026, 10, 1))).toEqual([2027])
    expect(missingYears([...y2026, { year: 2027 }], new Date(2026, 11, 31))).toEqual([])
    expect(missingYears(y2026, new Date(2027, 0, 1))).toEqual([2027])
    expect(missingYears([], new Date(2027, 11, 2))).toEqual([2027, 2028])
  })
})

describe('emptyYear', () => {
  it('is a year to fill in, its notice named', () => {
    expect(emptyYear(2027)).toMatchObject({ year: 2027, source: '国务院办公厅关于2027年部分节假日安排的通知', holidays: [], workdays: [] })
  })
})

describe('spanDays', () => {
  it('counts both ends', () => {
    expect(spanDays('2027-01-01', '2027-01-03')).toBe(3)
    expect(spanDays('2027-02-28', '2027-03-01')).toBe(2)
    expect(spanDays('', '2027-03-01')).toBe(0)
  })
})

describe('problemsOf', () => {
  it("keeps the problems of one year, by their path inside it", () => {
    const fields = { 'years[1].holidays[0].end': ['is before start'], 'years[1]': ['must be a JSON object'], 'years[10].year': ['x'], years: ['required'] }
    expect(problemsOf(fields, 1)).toEqual({ 'holidays[0].end': ['is before start'], '': ['must be a JSON object'] })
    expect(problemsOf(undefined, 0)).toEqual({})
  })
})
