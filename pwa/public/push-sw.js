/* Web Push in the service worker (imported by the generated sw.js; docs/push.md): show the
   server's payload as a notification, and open the right screen when it is tapped. */
/* eslint-env serviceworker */

function pushTarget(data) {
  const id = data && data.entity_id
  if (!id) return '/inbox'
  if (data.entity === 'task') return '/tasks/' + encodeURIComponent(id)
  if (data.entity === 'incident') return '/incidents/' + encodeURIComponent(id)
  if (data.entity === 'rollcall') return '/mode?rollcall=' + encodeURIComponent(id)
  if (data.entity === 'emergency') return '/mode?switch=' + encodeURIComponent(id)
  return '/inbox'
}

self.addEventListener('push', function (event) {
  var data = {}
  try {
    data = event.data ? event.data.json() : {}
  } catch (e) {
    data = { title: '网格通', body: event.data ? event.data.text() : '' }
  }
  var shown = self.registration.showNotification(data.title || '网格通', {
    body: data.body || '',
    lang: 'zh-CN',
    icon: '/icon-192.png',
    badge: '/icon-192.png',
    // One notification for the inbox: a newer push replaces it, and still rings.
    tag: 'inbox',
    renotify: true,
    // A roll-call or a mode switch stays until it is seen.
    requireInteraction: Boolean(data.critical),
    vibrate: data.critical ? [300, 100, 300, 100, 300] : [200],
    data: { url: pushTarget(data) },
  })
  var badge = self.navigator && self.navigator.setAppBadge && typeof data.unread === 'number' ? self.navigator.setAppBadge(data.unread).catch(function () {}) : null
  event.waitUntil(Promise.all([shown, badge]))
})

self.addEventListener('notificationclick', function (event) {
  event.notification.close()
  var url = (event.notification.data && event.notification.data.url) || '/inbox'
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        var client = windows[i]
        if ('focus' in client) {
          // The open app moves there itself (no reload: a half-filled form survives).
          client.postMessage({ type: 'gridlink:navigate', url: url })
          return client.focus()
        }
      }
      return self.clients.openWindow(url)
    }),
  )
})
