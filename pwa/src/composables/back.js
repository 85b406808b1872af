// The back arrow of a detail screen: where the user came from, or a screen of its own when
// they arrived here directly (a link, a notification, a reload).
import { useRouter } from 'vue-router'

export function useBack(fallback) {
  const router = useRouter()
  return () => {
    if (window.history.state?.back) router.back()
    else router.replace({ name: fallback })
  }
}
