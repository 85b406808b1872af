// A clock shared by every countdown on screen, ticking every 30 seconds.
import { onBeforeUnmount, ref } from 'vue'

const now = ref(Date.now())
let users = 0
let timer = null

export function useNow() {
  users += 1
  if (!timer) timer = setInterval(() => (now.value = Date.now()), 30 * 1000)
  onBeforeUnmount(() => {
    users -= 1
    if (users === 0) {
      clearInterval(timer)
      timer = null
    }
  })
  return now
}
