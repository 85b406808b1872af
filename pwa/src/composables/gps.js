// The phone's GPS fix, asked for from a tap: {lat, lng, accuracy, source: 'gps'}.
import { showToast } from 'vant'
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'

export function useGps(onFix) {
  const { t } = useI18n()
  const locating = ref(false)

  function locate() {
    if (!navigator.geolocation) {
      showToast(t('report.gps_unavailable'))
      return
    }
    locating.value = true
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locating.value = false
        const { latitude: lat, longitude: lng, accuracy } = position.coords
        onFix({ lat, lng, accuracy, source: 'gps' })
      },
      () => {
        locating.value = false
        showToast(t('report.gps_failed'))
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    )
  }

  return { locating, locate }
}
