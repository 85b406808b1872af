// The console's live view: short polling of GET /api/emergency/live at the server's pace,
// sent with the last ETag so that a poll finding nothing changed is a bodiless 304; paused
// while the page is hidden, resumed when it is seen again or the network comes back.
import { onBeforeUnmount, onMounted, ref } from 'vue'
import { errorText } from '../../../i18n.js'

export function useLivePoll(api, { also = async () => {}, online = () => true } = {}) {
  const rows = ref({}) // switch id → {switch, roll_call, tasks}
  const at = ref(null) // when the server last said how things stand (or that nothing changed)
  const failed = ref('')
  const loading = ref(false)
  let tag = null
  let timer = null
  let stopped = false
  let after = 10

  async function refresh() {
    loading.value = true
    try {
      const [answer] = await Promise.all([
        api.request('GET', '/api/emergency/live', undefined, tag ? { 'If-None-Match': tag } : {}),
        also(),
      ])
      if (answer.status === 304) {
        at.value = new Date().toISOString()
      } else {
        tag = answer.headers?.get?.('ETag') || null
        rows.value = Object.fromEntries(answer.body.switches.map((x) => [x.switch.id, x]))
        at.value = answer.body.at
        after = answer.body.poll_after_s
      }
      failed.value = ''
      return true
    } catch (error) {
      failed.value = errorText(error)
      return false
    } finally {
      loading.value = false
    }
  }

  async function poll() {
    clearTimeout(timer)
    if (stopped) return
    const ok = document.visibilityState === 'hidden' || !online() ? null : await refresh()
    if (!stopped) timer = setTimeout(poll, Math.max(2, ok ? after : 10) * 1000)
  }
  const onVisible = () => document.visibilityState === 'visible' && poll()

  onMounted(() => {
    poll()
    document.addEventListener('visibilitychange', onVisible)
  })
  onBeforeUnmount(() => {
    stopped = true
    clearTimeout(timer)
    document.removeEventListener('visibilitychange', onVisible)
  })
  return { rows, at, failed, loading, refresh, poll }
}
