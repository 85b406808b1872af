import { describe, expect, it } from 'vitest'
import { countdown, formatCountdown } from '../src/lib/time.js'

const t = (key, v) => `${key}:${JSON.stringify(v)}`
const NOW = Date.parse('2026-11-27T12:00:00+08:00')

describe('countdown', () => {
  it('counts down to a deadline and marks due soon under a day', () => {
    const c = countdown('2026-11-27T15:30:00+08:00', NOW)
    expect(c).toMatchObject({ overdue: false, soon: true, days: 0, hours: 3, minutes: 30 })
    expect(countdown('2026-11-30T12:00:00+08:00', NOW).soon).toBe(false)
  })

  it('turns overdue after the deadline', () => {
    const c = countdown('2026-11-27T11:15:00+08:00', NOW)
    expect(c).toMatchObject({ overdue: true, soon: false, hours: 0, minutes: 45 })
    expect(formatCountdown(c, t)).toBe('time.overdue_by:{"span":"time.minutes:{\\"m\\":45}"}')
  })

  it('ignores what is not a time', () => {
    expect(countdown('never', NOW)).toBeNull()
  })
})
