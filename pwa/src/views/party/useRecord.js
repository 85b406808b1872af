// A party record's own page (a meeting, a 书记项目): the record read by its route, and the
// communities of its street (whom a decision or a milestone may be given to).
import { showToast } from 'vant'
import { onMounted, ref } from 'vue'
import { errorText } from '../../i18n.js'
import { api } from '../../services.js'
import { streetCommunities } from './units.js'

export function useRecord(path) {
  const record = ref(null)
  const communities = ref([])
  async function load() {
    try {
      record.value = await api.get(path())
    } catch (error) {
      showToast(errorText(error))
    }
  }
  onMounted(async () => {
    await load()
    communities.value = await streetCommunities(record.value?.unit.code).catch((error) => {
      showToast(errorText(error))
      return []
    })
  })
  return { record, communities, load }
}
