// One flusher at a time: across tabs with the Web Locks API, within a tab with a mutex.

/**
 * Returns run(fn): fn runs when no other run holds the lock. A run asked for while one is
 * going in this tab is coalesced: the current one is followed by exactly one more, so an
 * action taken during a flush is still pushed. If another tab holds the lock, this tab
 * skips (resolves null): that tab is flushing the same queue.
 */
export function createLock(name, locks = globalThis.navigator?.locks) {
  let running = null
  let again = false

  async function once(fn) {
    if (locks && typeof locks.request === 'function') {
      return locks.request(name, { ifAvailable: true }, (lock) => (lock ? fn() : null))
    }
    return fn()
  }

  return function run(fn) {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      let result
      try {
        do {
          again = false
          result = await once(fn)
        } while (again)
      } finally {
        running = null
      }
      return result
    })()
    return running
  }
}
