// Mounts a component as the app does: Pinia, the translations (zh-CN), Vant, and a router in
// memory. Stores start empty; a test sets the state it needs (useSync().$patch(...)).
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n, loadMessages } from '../../src/i18n.js'
import * as Vant from 'vant'
import { FIRST, LATER } from '../../src/vant.js'

// Every message, as the app has them once past its first screen (src/i18n.js, FIRST).
await loadMessages()

const Empty = { render: () => null }
// The app fetches some components later (src/vant.js); a test has them all at once.
const pascal = (name) => name.replace(/^van-/, '').replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())
const vant = {
  install(app) {
    for (const component of [...FIRST, ...Object.keys(LATER).map((name) => Vant[pascal(name)])]) app.use(component)
  },
}
const NAMES = ['home', 'tasks', 'task', 'incident', 'me', 'mode', 'desk', 'overview']

export function setUp() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: NAMES.map((name) => ({ path: name === 'home' ? '/' : `/${name}/:id?`, name, component: Empty })),
  })
  return { pinia, router }
}

export function mountWith(component, { props = {}, plugins } = {}) {
  const { pinia, router } = plugins ?? setUp()
  return mount(component, { props, global: { plugins: [pinia, i18n, vant, router] } })
}
