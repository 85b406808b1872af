// Service worker registration and persistent storage (the outbox must survive storage pressure).
import { registerSW } from 'virtual:pwa-register'
import { showNotify } from 'vant'
import { i18n } from './i18n.js'

export function setUpPwa() {
  const updateSW = registerSW({
    onNeedRefresh() {
      const { t } = i18n.global
      showNotify({
        type: 'primary',
        message: `${t('update.ready')} · ${t('update.reload')}`,
        duration: 0,
        onClick: () => updateSW(true),
      })
    },
  })
}

/** Asks the browser not to evict IndexedDB (unsent work lives there); see storageState. */
export async function askPersistentStorage() {
  try {
    if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) {
      await navigator.storage.persist()
    }
  } catch {
    // not supported: nothing to do
  }
}

/** 'persisted' (the browser will not evict our data), 'best_effort', or 'unsupported'. */
export async function storageState() {
  try {
    if (!navigator.storage?.persisted) return 'unsupported'
    return (await navigator.storage.persisted()) ? 'persisted' : 'best_effort'
  } catch {
    return 'unsupported'
  }
}
