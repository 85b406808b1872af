import { describe, expect, it } from 'vitest'
import { overlay } from '../src/sync/overlay.js'
import { HOUSEHOLD_FIELDS, MEMBER_FIELDS, byDue, changesOf, dueState, formFields, matches, tagsOf, visitBody, wholeNumber, withVisitsOnPhone } from '../src/views/households/households.js'

const ME = { id: 7, name: '王网格' }

describe('the register on the phone', () => {
  it('lists a household’s tags and its members’ once, in order', () => {
    const household = { tags: ['rental'], members: [{ tags: ['disabled', 'elderly_alone'] }, { tags: ['disabled'] }] }
    expect(tagsOf(household)).toEqual(['rental', 'elderly_alone', 'disabled'])
  })

  it('is overdue when never visited or past its date, soon within a week', () => {
    const now = new Date('2026-12-02T00:00:00Z')
    expect(dueState({ next_visit_due: null }, now)).toBe('overdue')
    expect(dueState({ next_visit_due: '2026-12-01T00:00:00+00:00' }, now)).toBe('overdue')
    expect(dueState({ next_visit_due: '2026-12-05T00:00:00+00:00' }, now)).toBe('soon')
    expect(dueState({ next_visit_due: '2027-01-05T00:00:00+00:00' }, now)).toBe('ok')
  })

  it('sends only the forms of the people met, and the point when there is one', () => {
    const body = visitBody({ id: 'v', household: 'h', met: ['a'], note: 'n', forms: { a: { health: 'good' }, b: { health: 'poor' } }, point: { lat: 1, lng: 2 } })
    expect(body).toEqual({ id: 'v', household: 'h', met: ['a'], note: 'n', forms: { a: { health: 'good' } }, lat: 1, lng: 2 })
  })

  it('asks the fields of every plan of a person’s tags', () => {
    const plans = [
      { tag: 'household', fields: [] },
      { tag: 'elderly_alone', fields: [{ code: 'health' }] },
      { tag: 'disabled' },
    ]
    expect(formFields(plans, ['elderly_alone', 'disabled']).map((f) => f.code)).toEqual(['health'])
  })
})

describe('the register offline', () => {
  const at = '2026-12-02T09:00:00+08:00'
  const cmd = (seq, type, args, state = 'pending') => ({ command_id: `c${seq}`, seq, type, state, created_at: `2026-12-02T01:0${seq}:00Z`, device_time: at, args })
  const PLANS = [
    { tag: 'household', every_days: 182 },
    { tag: 'elderly_alone', every_days: 30 },
  ]
  const household = {
    id: 'h',
    address: '清水塘路8号',
    building: '3栋',
    room: '501',
    tags: [],
    versions: { room: 1 },
    last_visit_at: null,
    next_visit_due: null,
    members: [
      { id: 'm1', name: '张三丰', relationship: 'head', phone: '139****5678', tags: ['elderly_alone'], versions: {}, moved_out: null },
      { id: 'm2', name: '张小', relationship: 'child', phone: null, tags: [], versions: { relationship: 2 }, moved_out: null },
    ],
  }
  const pulled = [{ entity: 'household', id: 'h', data: household }]

  it('shows a visit recorded offline at once, pending, and the household visited', () => {
    const args = { id: 'v', household: 'h', met: ['m1'], note: '身体尚可', forms: { m1: { health: 'fair' } }, device_time: at }
    const shown = overlay(pulled, [cmd(1, 'visit.record', args)], ME)
    expect(shown.visits).toHaveLength(1)
    expect(shown.visits[0]).toMatchObject({ id: 'v', household_id: 'h', at, met: ['m1'], local: true })
    expect(shown.visits[0].pending.map((p) => p.type)).toEqual(['visit.record'])
    const [home] = shown.households
    expect(home.last_visit_at).toBe(at)
    expect(home.pending.map((p) => p.type)).toEqual(['visit.record'])
    // 张三丰 (独居老人, monthly) met: due in 30 days, before the household's half year.
    expect(withVisitsOnPhone(home, PLANS).next_visit_due).toBe(new Date(Date.parse(at) + 30 * 24 * 3600e3).toISOString())
    // A visit that met nobody tagged leaves the person's date as the server said (due now).
    const other = overlay(pulled, [cmd(1, 'visit.record', { ...args, met: ['m2'] })], ME).households[0]
    expect(withVisitsOnPhone(other, PLANS).next_visit_due).toBeNull()
  })

  it('shows a change, a move out and back at once; a new phone masked', () => {
    const change = cmd(1, 'household.update', { id: 'h', member: 'm1', changes: { phone: '13800001111' }, base: { phone: 0 } })
    expect(overlay(pulled, [change], ME).households[0].members[0].phone).toBe('138****1111')
    const out = cmd(2, 'household.move_out', { id: 'h', member: null, on: '2026-11-30', to: '万山区', reason: '随子女迁居' })
    expect(overlay(pulled, [out], ME).households[0].moved_out).toEqual({ on: '2026-11-30', to: '万山区', reason: '随子女迁居' })
    const back = cmd(3, 'household.move_in', { id: 'h', member: null })
    expect(overlay(pulled, [out, back], ME).households[0].moved_out).toBeNull()
  })

  it('finds by a part of the address or a name, not by a masked number', () => {
    expect(matches(household, '3栋 501')).toBe(true)
    expect(matches(household, '三丰')).toBe(true)
    expect(matches(household, '5678')).toBe(false)
    expect(wholeNumber('13912345678')).toBe(true)
    expect(wholeNumber('520602198001011232')).toBe(true)
    expect(wholeNumber('1391234')).toBe(false)
  })

  it('sends only the fields changed, each with the version it was pulled at', () => {
    expect(changesOf(household, { room: '502', building: '3栋', tags: [] }, HOUSEHOLD_FIELDS)).toEqual({ changes: { room: '502' }, base: { room: 1 } })
    expect(changesOf(household.members[1], { relationship: 'tenant', tags: [] }, MEMBER_FIELDS)).toEqual({ changes: { relationship: 'tenant' }, base: { relationship: 2 } })
    expect(changesOf(household, { building: '3栋' }, HOUSEHOLD_FIELDS)).toBeNull()
    expect(changesOf(household, { unit: '' }, HOUSEHOLD_FIELDS)).toBeNull() // empty is none
  })

  it('puts the due first, then by address', () => {
    const list = [
      { address: 'b', next_visit_due: '2027-01-01T00:00:00Z' },
      { address: 'a', next_visit_due: null },
      { address: 'c', next_visit_due: '2026-12-10T00:00:00Z' },
    ]
    expect(list.sort(byDue).map((h) => h.address)).toEqual(['a', 'c', 'b'])
  })
})
