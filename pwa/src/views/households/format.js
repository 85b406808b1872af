// How a household reads on the screens: its place in one line, and when it is next due.

export const placeOf = (h) => [h.address, h.building, h.unit, h.room].filter(Boolean).join(' ')

/** 下次走访 12/30, 应走访 (due, though visited), 从未走访, or 已迁出 with its day. */
export function dueText(h, t, d) {
  if (h.moved_out) return t('households.moved_out_on', { on: h.moved_out.on })
  if (h.next_visit_due) return t('households.next_visit', { when: d(new Date(h.next_visit_due), 'short') })
  return h.last_visit_at ? t('households.due_now') : t('households.never_visited')
}
