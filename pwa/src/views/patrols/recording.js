// The patrol being walked, for every screen: the recorder (sync/patrol.js) fed by the
// phone's watchPosition while the app is open, its points kept in IndexedDB as they come, and
// a flush asked for each time a batch is queued. It outlives the screen that started it (the
// member may report on the way) and resumes after a reload.
import { reactive } from 'vue'
import { db, engine } from '../../services.js'
import { createPatrols, lengthM } from '../../sync/patrol.js'

const recorder = createPatrols({ db, engine })

export const recording = reactive({
  patrol: null, // {id, grid, started_at, started_ms, points, sent}
  fix: null, // the last fix, kept or not: {lat, lng, accuracy}
  failed: false,
})

let watchId = null

export const distance = () => lengthM(recording.patrol?.points || [])

function watch(userId, flush) {
  if (watchId !== null || !navigator.geolocation) {
    recording.failed = !navigator.geolocation
    return
  }
  watchId = navigator.geolocation.watchPosition(
    async (position) => {
      const { latitude: lat, longitude: lng, accuracy } = position.coords
      recording.fix = { lat, lng, accuracy }
      recording.failed = false
      const sent = recording.patrol?.sent
      const patrol = await recorder.addFix(userId, { lat, lng, accuracy, at: position.timestamp || Date.now() })
      if (patrol) recording.patrol = patrol
      if (patrol && patrol.sent !== sent) flush()
    },
    () => {
      recording.failed = true
    },
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 },
  )
}

function unwatch() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId)
  watchId = null
}

/** After a reload: the patrol still running on this phone goes on recording. */
export async function resume(userId, flush) {
  recording.patrol = await recorder.current(userId)
  if (recording.patrol) watch(userId, flush)
}

export async function startPatrol(userId, grid, flush) {
  recording.patrol = await recorder.start(userId, grid)
  watch(userId, flush)
  flush()
}

export async function stopPatrol(userId, flush) {
  unwatch()
  const patrol = await recorder.stop(userId)
  recording.patrol = null
  recording.fix = null
  flush()
  return patrol
}

export const lastPatrol = (userId) => recorder.last(userId)
