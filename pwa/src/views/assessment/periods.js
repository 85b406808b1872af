// Assessment periods as the API names them: a month 2026-03, a quarter 2026-Q1, a half-year
// 2026-H1, a year 2026; the last one over, and the one before a period (for the trend).

export const KINDS = ['month', 'quarter', 'half', 'year']

/** The key of the period of `kind` that holds the date. */
export function periodOf(kind, date) {
  const year = date.getFullYear()
  const month = date.getMonth() + 1
  if (kind === 'month') return `${year}-${String(month).padStart(2, '0')}`
  if (kind === 'quarter') return `${year}-Q${Math.ceil(month / 3)}`
  if (kind === 'half') return `${year}-H${month <= 6 ? 1 : 2}`
  return String(year)
}

/** The kind of a key. */
export function kindOf(key) {
  if (/^\d{4}-\d{2}$/.test(key)) return 'month'
  if (/-Q/.test(key)) return 'quarter'
  if (/-H/.test(key)) return 'half'
  return 'year'
}

const MONTHS = { month: 1, quarter: 3, half: 6, year: 12 }

function firstMonth(key) {
  const [year, part = ''] = key.split('-')
  if (!part) return [Number(year), 1]
  if (part[0] === 'Q') return [Number(year), 3 * Number(part.slice(1)) - 2]
  if (part[0] === 'H') return [Number(year), 6 * Number(part.slice(1)) - 5]
  return [Number(year), Number(part)]
}

/** The period before `key`, of its kind. */
export function previous(key) {
  const kind = kindOf(key)
  const [year, month] = firstMonth(key)
  const index = year * 12 + month - 1 - MONTHS[kind]
  return periodOf(kind, new Date(Math.floor(index / 12), index % 12, 1))
}

/** The period of `kind` running at `now` (its draft so far), then the `count - 1` before it. */
export function recent(kind, now, count = 12) {
  const out = []
  let key = periodOf(kind, now)
  for (let n = 0; n < count; n += 1) {
    out.push(key)
    key = previous(key)
  }
  return out
}

/** Rows with each one's change in score against the previous period's row of the same id. */
export function withTrend(rows, before) {
  const old = new Map((before || []).map((r) => [r.id, r]))
  return rows.map((r) => {
    const was = old.get(r.id)
    const change = was && r.score != null && was.score != null ? Math.round((r.score - was.score) * 100) / 100 : null
    return { ...r, change }
  })
}

// Each grade's colour in the plan's order, best first (the bars and the map); unranked grey.
export const GRADE_COLOURS = ['#2e7d32', '#689f38', '#f9a825', '#ef6c00', '#c62828']
export const UNRANKED_COLOUR = '#c8c9cc'

/** A grade's colour by its place in the plan's grades. */
export function gradeColour(grade, grades) {
  const i = grades.indexOf(grade)
  return i < 0 ? UNRANKED_COLOUR : GRADE_COLOURS[Math.min(i, GRADE_COLOURS.length - 1)]
}

/** How many ranked rows got each grade, in the plan's order. */
export function gradeCounts(rows, grades = ['A', 'B', 'C', 'D', 'E']) {
  const counts = Object.fromEntries(grades.map((g) => [g, 0]))
  for (const r of rows) if (r.ranked && r.grade in counts) counts[r.grade] += 1
  return grades.map((g) => ({ grade: g, count: counts[g] }))
}

/** A figure as people read it: a rate in percent, hours and minutes with one decimal. */
export function figure(value, kind) {
  if (value == null) return '—'
  if (kind === 'rate') return `${(value * 100).toFixed(1)}%`
  if (kind === 'count') return String(Math.round(value))
  return value.toFixed(1)
}
