// @vitest-environment happy-dom
// The 12345 operator's case card: its state, and the 回访 of a closed case recorded from it
// (once per closing; a dissatisfied verdict that reopens the case has the list read again).
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import FiledCase from '../../src/views/hotline/FiledCase.vue'
import { mountWith } from './mount.js'

const visits = {} // what GET answers
const answers = {} // what POST answers
const posted = []
vi.mock('../../src/services.js', () => ({
  api: {
    get: async (path) => visits[path] ?? [],
    post: async (path, body) => {
      posted.push([path, body])
      return answers[path]
    },
  },
}))

const incident = (state) => ({ id: 'i1', state, description: '井盖松动', category: { name: '井盖缺失/破损' }, resident_phone: '138****1234', grid: { name: '一网格' } })

beforeEach(() => {
  posted.length = 0
  for (const map of [visits, answers]) for (const key of Object.keys(map)) delete map[key]
})

describe('FiledCase', () => {
  it('shows an open case with its state and no return visit to record', async () => {
    const card = mountWith(FiledCase, { props: { incident: incident('dispatched') } })
    await flushPromises()
    expect(card.text()).toContain('已派遣')
    expect(card.text()).toContain('138****1234')
    expect(card.findAll('button')).toHaveLength(0)
  })

  it("records a closed case's verdict once, then shows it", async () => {
    answers['/api/incidents/i1/return-visits'] = { verdict: 'basically_satisfied', reopened: false }
    const card = mountWith(FiledCase, { props: { incident: incident('closed') } })
    await flushPromises()
    const buttons = card.findAll('button')
    expect(buttons.map((b) => b.text())).toEqual(['满意', '基本满意', '不满意', '未接通'])
    await buttons[1].trigger('click')
    await flushPromises()
    expect(posted).toEqual([['/api/incidents/i1/return-visits', { verdict: 'basically_satisfied' }]])
    expect(card.text()).toContain('已回访：基本满意')
    expect(card.findAll('button')).toHaveLength(0)
    expect(card.emitted('changed')).toBeUndefined()
  })

  it('shows the verdict a closing already has, and asks the list again when one reopens it', async () => {
    visits['/api/incidents/i1/return-visits'] = [{ reached: false, verdict: null }] // nobody answered
    const card = mountWith(FiledCase, { props: { incident: incident('closed') } })
    await flushPromises()
    answers['/api/incidents/i1/return-visits'] = { verdict: 'dissatisfied', reopened: true }
    await card.findAll('button')[2].trigger('click')
    await flushPromises()
    expect(card.emitted('changed')).toHaveLength(1)

    visits['/api/incidents/i1/return-visits'] = [{ reached: true, verdict: 'satisfied' }]
    const visited = mountWith(FiledCase, { props: { incident: incident('closed') } })
    await flushPromises()
    expect(visited.text()).toContain('已回访：满意')
  })
})
