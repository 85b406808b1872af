// Photos: compressed once on the phone, named by sha256, kept in IndexedDB until uploaded.
// TODO(next session): resumable upload with tus-js-client against /api/uploads
// (docs/uploads.md); until then one multipart POST /api/photos per photo.
import { ApiError } from './sync/api.js'
import { sha256 } from './lib/sha256.js'

/** Compresses a camera photo (no web worker: its default script would come from a CDN). */
export async function preparePhoto(file) {
  const { default: imageCompression } = await import('browser-image-compression')
  const blob = await imageCompression(file, {
    maxSizeMB: 0.6,
    maxWidthOrHeight: 1920,
    useWebWorker: false,
    fileType: 'image/jpeg',
    initialQuality: 0.8,
  })
  return { blob, sha256: await sha256(blob) }
}

/** The sync engine's uploader: nothing to do if the server has the photo already. */
export async function uploadPhoto(api, row) {
  try {
    const head = await api.request('HEAD', `/api/photos/${row.sha256}`)
    if (head.status === 200) return
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error
  }
  const form = new FormData()
  form.append('file', row.blob, `${row.sha256}.jpg`)
  await api.upload('/api/photos', form)
}
