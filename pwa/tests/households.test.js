import { describe, expect, it } from 'vitest'
import { dueState, formFields, tagsOf, visitBody } from '../src/views/households/households.js'

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
