// The residents' page (随手拍, resident.html): its own light entry, no login, no sync engine.
import { createApp } from 'vue'
import ResidentApp from './views/residents/ResidentApp.vue'
import { i18n } from './views/residents/i18n.js'

document.body.style.background = '#f7f8fa'
createApp(ResidentApp).use(i18n).mount('#app')
// The app's service worker precaches this page too: it opens, and keeps drafts, offline.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {})
