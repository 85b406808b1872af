// Mounts a component as the app does: Pinia, the translations (zh-CN), Vant, and a router in
// memory. Stores start empty; a test sets the state it needs (useSync().$patch(...)).
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n } from '../../src/i18n.js'
import vant from '../../src/vant.js'

const Empty = { render: () => null }
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
