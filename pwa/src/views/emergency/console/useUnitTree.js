// A roll-call's figures as the rows of a tree a leader opens: streets, then a street's
// communities, then a community's grids. The people of a unit who answer for nothing below it
// (a street's admins, a community's secretaries) come first under it, with the server's label.
import { computed, ref, unref } from 'vue'

export function useUnitTree(figures) {
  const opened = ref(new Set())
  const toggle = (key) => {
    const next = new Set(opened.value)
    if (next.has(key)) next.delete(key)
    else next.add(key)
    opened.value = next
  }
  const rows = computed(() => {
    const streets = unref(figures)?.streets || []
    const out = []
    // A single street is opened from the start: there is nothing else to choose.
    const isOpen = (key, depth) => opened.value.has(key) !== (depth === 0 && streets.length === 1)
    // `unit`: the code whose silent are asked for; a unit's own people are asked for with it.
    const visit = (node, depth, parent, below) => {
      const key = parent ? `${parent.key}/${node.code ?? ''}` : node.code
      const open = below.length > 0 && isOpen(key, depth)
      const row = { ...node, key, depth, unit: node.code ?? parent.unit, branch: below.length > 0, open }
      out.push(row)
      return row
    }
    for (const street of streets) {
      const s = visit(street, 0, null, street.communities || [])
      if (!s.open) continue
      for (const community of street.communities) {
        const c = visit(community, 1, s, community.grids || [])
        if (!c.open) continue
        for (const grid of community.grids) visit(grid, 2, c, [])
      }
    }
    return out
  })
  return { rows, toggle }
}
