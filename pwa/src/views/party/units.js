// Where a street's meeting decision or project milestone is carried out: one of the street's
// communities (codes: a street's has 9 digits, its communities' begin with it), from the unit
// tree (GET /api/units). A community's own: none to choose.
import { api } from '../../services.js'

export async function streetCommunities(code) {
  if (code?.length !== 9) return []
  const tree = await api.get('/api/units')
  const street = tree.flatMap((top) => top.children || []).find((s) => s.code === code)
  return (street?.children || []).map(({ code, name }) => ({ code, name }))
}
