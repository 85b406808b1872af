// The phone's GPS fix: {lat, lng, accuracy, source: 'gps'}, with whether it is being taken and
// whether the last try failed (no permission, no fix in time).
import { showToast } from 'vant'
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'

export function useGps(onFix) {
  const { t } = useI18n()
  const locating = ref(false)
  const failed = ref(false)

  /** quiet: taken without a tap (a screen opening): a failure is shown in place, not toasted. */
  function locate({ quiet = false } = {}) {
    const fail = () => {
      locating.value = false
      failed.value = true
      if (!quiet) showToast(t(navigator.geolocation ? 'report.gps_failed' : 'report.gps_unavailable'))
    }
    if (!navigator.geolocation) return fail()
    locating.value = true
    failed.value = false
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locating.value = false
        const { latitude: lat, longitude: lng, accuracy } = position.coords
        onFix({ lat, lng, accuracy, source: 'gps' })
      },
      fail,
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    )
  }

  return { locating, failed, locate }
}
