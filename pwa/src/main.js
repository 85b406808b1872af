// Starts the app: restores the last session from the phone (works offline), then mounts.
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { i18n, setLocale } from './i18n.js'
import { largeText, setLargeText } from './lib/textsize.js'
import { askPersistentStorage, setUpPwa } from './pwa.js'
import { router } from './router.js'
import { useSession } from './stores/session.js'
import vant from './vant.js'
import './styles.css'

async function start() {
  if (largeText()) setLargeText(true)
  const app = createApp(App)
  app.use(createPinia())
  app.use(i18n)
  app.use(vant)
  await setLocale(i18n.global.locale.value)
  await useSession().restore()
  app.use(router)
  app.mount('#app')
  setUpPwa()
  askPersistentStorage()
}

start()
