// Web Push (docs/push.md): the browser's subscription, made with the server's VAPID key and
// kept by the server for the logged-in person. Permission is only ever asked from a tap.
const ASKED_KEY = 'gridlink.push_asked'

export function pushSupported() {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
}

/** unsupported, denied, default (never asked), granted. */
export function permission() {
  return pushSupported() ? Notification.permission : 'unsupported'
}

/** Whether to offer push after login: supported, never answered, and not put off on this phone. */
export function shouldOffer() {
  if (permission() !== 'default') return false
  try {
    return !localStorage.getItem(ASKED_KEY)
  } catch {
    return true
  }
}

export function putOff() {
  try {
    localStorage.setItem(ASKED_KEY, new Date().toISOString())
  } catch {
    // not kept: offered again next time
  }
}

function keyBytes(base64url) {
  const padded = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))
}

async function subscription(create, api) {
  const registration = await navigator.serviceWorker.ready
  let sub = await registration.pushManager.getSubscription()
  if (!sub && create) {
    const { public_key: key } = await api.get('/api/push/key')
    sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) })
  }
  return sub
}

/** From a tap: asks for permission, subscribes, gives the server the subscription. true: on. */
export async function enablePush(api) {
  if (!pushSupported()) return false
  const answer = await Notification.requestPermission()
  putOff()
  if (answer !== 'granted') return false
  const sub = await subscription(true, api)
  await api.post('/api/push/subscriptions', sub.toJSON())
  return true
}

/** After a login with permission already given: this phone's pushes go to who is logged in
 * now (the server moves a known endpoint to its new owner). Quiet: no prompt, no error. */
export async function renewPush(api) {
  if (permission() !== 'granted') return false
  try {
    const sub = await subscription(true, api)
    await api.post('/api/push/subscriptions', sub.toJSON())
    return true
  } catch {
    return false
  }
}

/** Is this phone subscribed (the browser's side)? */
export async function subscribed() {
  if (permission() !== 'granted') return false
  try {
    return Boolean(await subscription(false))
  } catch {
    return false
  }
}

/** Stop pushing to this phone (on logout, or when turned off). */
export async function disablePush(api) {
  if (!pushSupported()) return
  const sub = await subscription(false).catch(() => null)
  if (!sub) return
  try {
    await api.request('DELETE', '/api/push/subscriptions', { endpoint: sub.endpoint })
  } finally {
    await sub.unsubscribe().catch(() => {})
  }
}
