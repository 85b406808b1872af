// The residents' page's calls to /api/public: no account; the device's token (made here, kept
// in this browser) in X-Device, the session's CSRF token as the app sends it. No Vue in here.
const DEVICE_KEY = 'gridlink.resident.device'
let csrf = null

export class PublicError extends Error {
  constructor(status, code, message) {
    super(message || code)
    this.status = status
    this.code = code
  }
}

function randomToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

export function deviceToken(storage = globalThis.localStorage) {
  let token = storage.getItem(DEVICE_KEY)
  if (!token) {
    token = randomToken()
    storage.setItem(DEVICE_KEY, token)
  }
  return token
}

async function csrfToken() {
  if (!csrf) csrf = (await (await fetch('/api/auth/csrf', { credentials: 'same-origin' })).json()).csrf_token
  return csrf
}

// A network failure throws the fetch's TypeError (the caller keeps a draft); an answer that is
// not OK throws a PublicError with the server's code.
export async function call(path, { method = 'GET', json, form, track } = {}) {
  const headers = { 'X-Device': deviceToken() }
  if (track) headers['X-Track'] = track
  if (method !== 'GET') headers['X-CSRFToken'] = await csrfToken()
  if (json !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: json !== undefined ? JSON.stringify(json) : form,
  })
  const fresh = response.headers.get('X-CSRFToken')
  if (fresh) csrf = fresh
  const body = await response.json().catch(() => null)
  if (!response.ok) throw new PublicError(response.status, body?.error?.code, body?.error?.message)
  return body
}

export async function uploadPhoto(blob) {
  const form = new FormData()
  form.append('file', blob, 'photo.jpg')
  return (await call('/api/public/photos', { method: 'POST', form })).sha256
}

// A report (its photos first): {tracking_number, secret}.
export async function sendReport(draft) {
  const photos = []
  for (const blob of draft.photos || []) photos.push({ sha256: await uploadPhoto(blob) })
  const { photos: _, id: __, made_at: ___, ...fields } = draft
  return call('/api/public/reports', { method: 'POST', json: { ...fields, photos } })
}
