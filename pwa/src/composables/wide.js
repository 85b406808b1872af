// Whether the screen is a desk's (at least 1024 px wide): there the desk and the overview drop
// the phone's chrome (the bottom tabs) and keep notes (roll-call, push offer) out of the way.
import { onBeforeUnmount, ref } from 'vue'

export const WIDE = '(min-width: 1024px)'

export function useWide() {
  const query = window.matchMedia?.(WIDE)
  const wide = ref(Boolean(query?.matches))
  const onChange = (event) => (wide.value = event.matches)
  query?.addEventListener?.('change', onChange)
  onBeforeUnmount(() => query?.removeEventListener?.('change', onChange))
  return wide
}
