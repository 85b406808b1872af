// A form's round trip to the API for the party screens: busy while it is sent, and the
// server's refusal shown on the field it names (else above the form). No Vue components here.
import { ref } from 'vue'
import { errorText } from '../../i18n.js'

export function useForm() {
  const busy = ref(false)
  const error = ref('')
  const fields = ref({})

  /** The error for one field (the translated reason), or '' when the server did not name it. */
  const of = (name) => (name in fields.value ? error.value : '')
  /** The error that names no field of the form (`names`): shown once, above it. */
  const general = (names) => (error.value && !names.some((n) => n in fields.value) ? error.value : '')

  /** Runs `send` (a promise of the answer); true when it was accepted. */
  async function submit(send) {
    busy.value = true
    error.value = ''
    fields.value = {}
    try {
      await send()
      return true
    } catch (e) {
      error.value = errorText(e)
      fields.value = e.fields || {}
      return false
    } finally {
      busy.value = false
    }
  }
  return { busy, error, fields, of, general, submit }
}
