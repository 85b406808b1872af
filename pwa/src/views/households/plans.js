// The visit plans and their forms (GET /api/visits/plans), kept on the phone: a visit is
// recorded offline with the forms last fetched.
import { ref } from 'vue'
import { refresh } from '../../sync/index.js'
import { api, db } from '../../services.js'

const plans = ref(null)

/** The plans as a ref: the phone's copy at once, revalidated when online. */
export function usePlans() {
  if (!plans.value?.length) {
    refresh(db, api, 'visit-plans', '/api/visits/plans')
      .then((document) => {
        plans.value = document.plans
      })
      .catch(() => {
        plans.value = plans.value ?? [] // offline, and never fetched: no forms to show
      })
  }
  return plans
}
