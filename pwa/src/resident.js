// The residents' page (随手拍, resident.html): its own light entry, no login, no sync engine.
import { createApp } from 'vue'
import { i18n } from './i18n.js'
import { residents } from './locales/zh-CN.json'
import ResidentApp from './views/residents/ResidentApp.vue'

// The page's own words (the members' first screen's are in i18n.js).
i18n.global.mergeLocaleMessage('zh-CN', { residents })

document.body.style.background = '#f7f8fa'
createApp(ResidentApp).use(i18n).mount('#app')
// The app's service worker precaches this page too: it opens, and keeps drafts, offline.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {})
