// Whether to suggest 添加到主屏幕 on iOS: Safari may evict the data (the outbox too) of a site
// that is not installed, after some days without a visit. navigator.standalone exists only
// in iOS Safari (false in a tab, true once opened from the home screen).

export const INSTALL_HINT_KEY = 'gridlink:install-hint-dismissed'

/** nav: {userAgent, standalone, maxTouchPoints, platform} (navigator, or a stand-in in tests). */
export function isIos(nav) {
  const ua = nav?.userAgent || ''
  if (/iPhone|iPad|iPod/.test(ua)) return true
  // iPadOS 13+ asks for the desktop site: it says Macintosh, but has a touch screen.
  return /Macintosh/.test(ua) && (nav?.maxTouchPoints || 0) > 1
}

/** True on iOS Safari in a tab (not opened from the home screen), unless dismissed. */
export function needsInstallHint(nav, dismissed = false) {
  if (dismissed || !nav) return false
  return isIos(nav) && nav.standalone === false
}
