// Each grid's party branch for the maps (the desk's tooltip): code → "一网格党支部 · 书记 李支书".
// Read from the API when online; without it the map shows what it showed before.
import { computed, ref, watch } from 'vue'
import { i18n } from '../../i18n.js'
import { api } from '../../services.js'

/** `community` is a ref of a community's code (or null); `online` a ref of the network. */
export function useBranches(community, online) {
  const byGrid = ref(new Map())
  async function load() {
    if (!community.value || !online.value) return
    try {
      const orgs = await api.get(`/api/party/orgs?community=${community.value}`)
      byGrid.value = new Map(orgs.filter((o) => o.kind !== 'committee').map((o) => [o.unit.code, o]))
    } catch {
      // no branches to show: the map keeps its other text
    }
  }
  watch([community, online], load, { immediate: true })

  /** code → the grid's branch and its secretary, or '' when it has none (or it is not known):
   * a new function once the branches arrive, so a map given it redraws. */
  const branchText = computed(() => {
    const found = byGrid.value
    const { t } = i18n.global
    return (code) => {
      const org = found.get(code)
      if (!org) return ''
      return org.secretary ? t('party.branch_on_map', { name: org.name, secretary: org.secretary.name }) : org.name
    }
  })
  return { byGrid, branchText }
}
