// Reports made without signal, kept in IndexedDB (photos as blobs) until they are sent; and the
// reports this browser sent, with their private links' secrets. No Vue in here.
const DB = 'gridlink-resident'
const SENT_KEY = 'gridlink.resident.sent'

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1)
    request.onupgradeneeded = () => request.result.createObjectStore('drafts', { keyPath: 'id' })
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function store(mode, work) {
  const db = await open()
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction('drafts', mode)
      const result = work(tx.objectStore('drafts'))
      tx.oncomplete = () => resolve(result.result)
      tx.onerror = () => reject(tx.error)
    })
  } finally {
    db.close()
  }
}

export const saveDraft = (draft) => store('readwrite', (s) => s.put(draft))
export const drafts = () => store('readonly', (s) => s.getAll())
export const dropDraft = (id) => store('readwrite', (s) => s.delete(id))

// Sends every draft, oldest first, through `send`; stops at the first network failure (still
// offline) and keeps that one and the rest. A draft the server refuses is dropped (sending it
// again would be refused again) and reported in `refused`. Returns {sent: [...], refused: [...]}.
export async function flush(send) {
  const out = { sent: [], refused: [] }
  const waiting = (await drafts()).sort((a, b) => a.made_at.localeCompare(b.made_at))
  for (const draft of waiting) {
    try {
      out.sent.push({ draft, result: await send(draft) })
    } catch (error) {
      if (error instanceof TypeError) break
      out.refused.push({ draft, error })
    }
    await dropDraft(draft.id)
  }
  return out
}

export function sentReports(storage = globalThis.localStorage) {
  try {
    return JSON.parse(storage.getItem(SENT_KEY) || '[]')
  } catch {
    return []
  }
}

export function rememberSent(report, storage = globalThis.localStorage) {
  storage.setItem(SENT_KEY, JSON.stringify([report, ...sentReports(storage)].slice(0, 20)))
}
