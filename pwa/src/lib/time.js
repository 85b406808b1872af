// Deadlines as people read them: time left (or overdue), and whether it is due soon.

export const DUE_SOON_MS = 24 * 60 * 60 * 1000

/** {overdue, soon, days, hours, minutes} from now to the deadline (absolute parts). */
export function countdown(deadline, now = Date.now()) {
  const end = typeof deadline === 'string' ? Date.parse(deadline) : Number(deadline)
  if (Number.isNaN(end)) return null
  const left = end - now
  const abs = Math.abs(left)
  const days = Math.floor(abs / 86400000)
  const hours = Math.floor((abs % 86400000) / 3600000)
  const minutes = Math.floor((abs % 3600000) / 60000)
  return { overdue: left < 0, soon: left >= 0 && left < DUE_SOON_MS, days, hours, minutes, ms: left }
}

/** Short text for a countdown, with the words from the translations (t(key, values)). */
export function formatCountdown(c, t) {
  if (!c) return ''
  let span
  if (c.days > 0) span = t('time.days_hours', { d: c.days, h: c.hours })
  else if (c.hours > 0) span = t('time.hours_minutes', { h: c.hours, m: c.minutes })
  else span = t('time.minutes', { m: c.minutes })
  return c.overdue ? t('time.overdue_by', { span }) : t('time.left', { span })
}
