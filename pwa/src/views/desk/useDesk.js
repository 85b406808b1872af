// The desk's data: the community's queue (with the API's filters), the unfiltered open work
// that colours the map, the members who may be given work, and the decisions sent to the
// server. One refresh reads them all; a decision that succeeds refreshes them.
import { showToast } from 'vant'
import { computed, reactive, ref, watch } from 'vue'
import { errorText } from '../../i18n.js'
import { api } from '../../services.js'

export const OPEN_STATES = ['reported', 'accepted', 'dispatched', 'in_progress', 'handled']

/** A query string, leaving out what is not set; lists repeat their key. */
export function query(params) {
  const q = new URLSearchParams()
  for (const [key, value] of Object.entries({ limit: 200, ...params })) {
    if (value === '' || value === false || value == null) continue
    for (const one of [value].flat()) q.append(key, String(one))
  }
  return q.toString()
}

/** Open work per grid code ({open, overdue}) and the desk's totals, from the unfiltered lists. */
export function gridLoad({ incidents, tasks }) {
  const out = {}
  const add = (code, late) => {
    if (!code) return
    out[code] = out[code] || { open: 0, overdue: 0 }
    out[code].open += 1
    if (late) out[code].overdue += 1
  }
  for (const i of incidents) add(i.grid?.code, i.due === 'overdue')
  for (const task of tasks) if (task.state === 'open') add(task.grid?.code, task.overdue)
  return out
}

/** community: a ref of the community's code, or null for the secretary's own. */
export function useDesk(community) {
  const filters = reactive({ state: '', grid: '', overdue: false, urgent: false, task_state: 'open' })
  const queue = ref({ incidents: [], tasks: [], community: null })
  const everything = ref({ incidents: [], tasks: [] }) // unfiltered: the map's colours
  const loading = ref(false)
  const failed = ref('')
  const busy = ref(false)

  const load = computed(() => gridLoad(everything.value))
  const totals = computed(() => {
    const { incidents, tasks } = everything.value
    const open = tasks.filter((x) => x.state === 'open')
    return {
      incidents: incidents.length,
      overdue: incidents.filter((i) => i.due === 'overdue').length + open.filter((x) => x.overdue).length,
      tasks: open.length,
    }
  })

  let seq = 0
  async function refresh() {
    const mine = (seq += 1)
    loading.value = true
    failed.value = ''
    const where = { community: community?.value || null }
    try {
      const [filtered, all] = await Promise.all([
        // "All open" asks for the open states by name: closed and rejected cases leave the queue.
        api.get(`/api/dispatch?${query({ ...where, ...filters, state: filters.state || OPEN_STATES })}`),
        api.get(`/api/dispatch?${query({ ...where, limit: 500, state: OPEN_STATES, task_state: 'open' })}`),
      ])
      if (mine !== seq) return // a newer refresh (another community, other filters) answers
      queue.value = filtered
      everything.value = all
    } catch (error) {
      if (mine === seq) failed.value = errorText(error)
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  watch(filters, refresh)

  /** Sends one decision; says what happened; true when the server accepted it. */
  async function act(path, body, done) {
    busy.value = true
    try {
      await api.post(path, body)
      showToast(done)
      return true
    } catch (error) {
      showToast(errorText(error))
      return false
    } finally {
      busy.value = false
    }
  }

  return { filters, queue, everything, load, totals, loading, failed, busy, refresh, act }
}
