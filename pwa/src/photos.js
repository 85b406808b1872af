// Photos: compressed once on the phone, named by sha256, kept in IndexedDB until uploaded,
// then sent resumably over tus (docs/uploads.md).
import { ApiError, NetworkError } from './sync/api.js'
import { deleteMeta, setMeta } from './sync/db.js'
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

const TUS_PREFIX = 'tus:'

/**
 * tus-js-client's UrlStorage on the phone's IndexedDB (not localStorage, which a full disk
 * or a private window loses): where each unfinished upload stands, to resume it after a
 * reload or a restart.
 */
export function idbUrlStorage(db) {
  const all = async () => (await db.meta.where('key').startsWith(TUS_PREFIX).toArray()).map((row) => row.value)
  return {
    findAllUploads: all,
    findUploadsByFingerprint: async (fingerprint) => (await all()).filter((u) => u.fingerprint === fingerprint),
    removeUpload: (key) => deleteMeta(db, key),
    addUpload: async (fingerprint, upload) => {
      const key = `${TUS_PREFIX}${fingerprint}`
      await setMeta(db, key, { ...upload, fingerprint, urlStorageKey: key })
      return key
    },
  }
}

function failure(error) {
  const response = error?.originalResponse
  if (!response) return new NetworkError(error)
  let body = null
  try {
    body = JSON.parse(response.getBody() || 'null')
  } catch {
    body = null
  }
  return new ApiError(response.getStatus(), body)
}

/**
 * The sync engine's uploader: one photo over tus, resumed where it stopped. With
 * uploadDataDuringCreation a photo the server already has finishes in one request.
 * onProgress(sent, total) drives the progress bar.
 */
export async function uploadPhoto({ api, db, row, onProgress, userId }) {
  const { Upload } = await import('tus-js-client')
  if (!api.token) await api.csrf()
  const attempt = () =>
    new Promise((resolve, reject) => {
      const upload = new Upload(row.blob, {
        endpoint: '/api/uploads',
        headers: { 'X-CSRFToken': api.token },
        metadata: { sha256: row.sha256, filename: `${row.sha256}.jpg`, filetype: row.blob.type || 'image/jpeg' },
        chunkSize: 1024 * 1024,
        uploadDataDuringCreation: true,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        removeFingerprintOnSuccess: true,
        urlStorage: idbUrlStorage(db),
        // One upload per user and photo, as the server keys them.
        fingerprint: async () => `${userId}:${row.sha256}`,
        onShouldRetry: (error) => {
          const status = error?.originalResponse?.getStatus?.() ?? 0
          return status === 0 || status === 409 || status === 423 || status >= 500
        },
        onProgress: (sent, total) => onProgress?.(sent, total),
        onSuccess: () => resolve(),
        onError: (error) => reject(failure(error)),
      })
      upload
        .findPreviousUploads()
        .then((previous) => {
          if (previous.length) upload.resumeFromPreviousUpload(previous[0])
          upload.start()
        })
        .catch((error) => reject(failure(error)))
    })
  try {
    await attempt()
  } catch (error) {
    // A token from before a new login: fetch the session's token and go on once.
    if (!(error instanceof ApiError && error.code === 'csrf_failed')) throw error
    await api.csrf()
    await attempt()
  }
}
