// The party screens' date fields: an <input type=datetime-local> holds the phone's local
// time without a zone; the API takes ISO 8601 with it.
const pad = (n) => String(n).padStart(2, '0')

/** A Date as a datetime-local value (local time, to the minute). */
export function localInput(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** A datetime-local value as ISO 8601 with its zone (UTC), or null when empty. */
export function isoFromInput(value) {
  return value ? new Date(value).toISOString() : null
}

/** This year, as the counts' period: since=…&until=… */
export function yearPeriod(year = new Date().getFullYear()) {
  const since = encodeURIComponent(new Date(year, 0, 1).toISOString())
  const until = encodeURIComponent(new Date(year + 1, 0, 1).toISOString())
  return `since=${since}&until=${until}`
}
