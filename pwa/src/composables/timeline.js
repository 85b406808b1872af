// What happened to an incident or a task, by whom and when: the history of its detail in the
// API (GET /api/incidents/<id>, /api/tasks/<id>), read when the phone is online. Offline the
// screen shows what the pulled entity says (the phone keeps no history).
import { ref, watch } from 'vue'
import { api } from '../services.js'
import { useSync } from '../stores/sync.js'

export function useTimeline(path) {
  const sync = useSync()
  const entries = ref(null) // null: not read (offline, or not yet)
  const failed = ref(false)

  async function read() {
    try {
      entries.value = (await api.get(path())).history || []
      failed.value = false
    } catch {
      failed.value = true
    }
  }
  // Read again once the signal returns, and when the entity changes (a pull brought it).
  watch(
    () => [path(), sync.online, sync.lastSync],
    () => {
      if (sync.online) read()
    },
    { immediate: true },
  )
  return { entries, failed }
}
