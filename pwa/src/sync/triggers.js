// When the phone flushes: on start, on reconnect, on becoming visible, and on a timer.
// (After each action the stores call flush themselves.)

export const FLUSH_INTERVAL_MS = 60 * 1000

export function installTriggers(flush, { win = globalThis.window, doc = globalThis.document, intervalMs = FLUSH_INTERVAL_MS } = {}) {
  const run = () => {
    flush()
  }
  const onVisible = () => {
    if (doc.visibilityState === 'visible') run()
  }
  win.addEventListener('online', run)
  doc.addEventListener('visibilitychange', onVisible)
  const timer = setInterval(() => {
    // A hidden tab does not poll; it flushes again when it becomes visible.
    if (doc.visibilityState !== 'hidden') run()
  }, intervalMs)
  run()
  return function uninstall() {
    win.removeEventListener('online', run)
    doc.removeEventListener('visibilitychange', onVisible)
    clearInterval(timer)
  }
}
