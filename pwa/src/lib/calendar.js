// 工作日历: the holiday lists (放假安排 and 调休) that working-time limits skip, one document a
// year. A year without its list counts Monday to Friday as working days, 元旦 and 春节 included,
// so the screen warns while the current year is missing, and from November (when the State
// Council publishes the next year's arrangement) while the next year is.

export const NEXT_YEAR_FROM_MONTH = 11

/** The years the district should enter now and has not, soonest first. */
export function missingYears(years, today = new Date()) {
  const have = new Set(years.map((y) => y.year))
  const year = today.getFullYear()
  const wanted = today.getMonth() + 1 >= NEXT_YEAR_FROM_MONTH ? [year, year + 1] : [year]
  return wanted.filter((y) => !have.has(y))
}

/** A new year's list to fill in. */
export function emptyYear(year) {
  return { year, source: `国务院办公厅关于${year}年部分节假日安排的通知`, holidays: [], workdays: [] }
}

/** Days from `start` to `end`, both included ('YYYY-MM-DD'); 0 when either is not a date. */
export function spanDays(start, end) {
  const days = (Date.parse(end) - Date.parse(start)) / 86400000 + 1
  return Number.isFinite(days) ? days : 0
}

/** The server's problems (fields named by path: years[2].holidays[0].end) that concern the
 * year at `index`, keyed by their path inside it (holidays[0].end; '' for the year itself). */
export function problemsOf(fields, index) {
  const prefix = `years[${index}]`
  const found = {}
  for (const [path, reasons] of Object.entries(fields || {})) {
    if (path === prefix) found[''] = reasons
    else if (path.startsWith(`${prefix}.`)) found[path.slice(prefix.length + 1)] = reasons
  }
  return found
}
