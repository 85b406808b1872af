// The Vant components the app uses, each with its own styles (nothing else is bundled). Those
// of the first screens (home, the frame, a member's cards) are in the first bundle; the others
// are registered as async components, fetched with the screen that first shows one (each is
// precached by the service worker like every chunk: they work offline too). Every one's
// styles are in the page's stylesheet.
import { defineAsyncComponent } from 'vue'
import { Button, Icon, NoticeBar, Progress, Tabbar, TabbarItem, Tag } from 'vant'
import 'vant/es/style/base.css'
import 'vant/es/button/style/index.mjs'
import 'vant/es/dialog/style/index.mjs'
import 'vant/es/icon/style/index.mjs'
import 'vant/es/notice-bar/style/index.mjs'
import 'vant/es/notify/style/index.mjs'
import 'vant/es/progress/style/index.mjs'
import 'vant/es/tabbar/style/index.mjs'
import 'vant/es/tabbar-item/style/index.mjs'
import 'vant/es/tag/style/index.mjs'
import 'vant/es/toast/style/index.mjs'
// The later components' styles too: 15 kB of CSS read once with the page, not a recalculation
// of the whole page each time one arrives (after the first screen, or as a screen opens).
import 'vant/es/action-sheet/style/index.mjs'
import 'vant/es/cell/style/index.mjs'
import 'vant/es/cell-group/style/index.mjs'
import 'vant/es/checkbox/style/index.mjs'
import 'vant/es/empty/style/index.mjs'
import 'vant/es/field/style/index.mjs'
import 'vant/es/form/style/index.mjs'
import 'vant/es/loading/style/index.mjs'
import 'vant/es/nav-bar/style/index.mjs'
import 'vant/es/pull-refresh/style/index.mjs'
import 'vant/es/tab/style/index.mjs'
import 'vant/es/tabs/style/index.mjs'

export const FIRST = [Button, Icon, NoticeBar, Progress, Tabbar, TabbarItem, Tag]

// name → the component's module, each its own chunk (router.js prefetches them one at a time
// once the first screen is drawn).
export const LATER = {
  'van-action-sheet': () => import('vant/es/action-sheet/index.mjs'),
  'van-cell': () => import('vant/es/cell/index.mjs'),
  'van-cell-group': () => import('vant/es/cell-group/index.mjs'),
  'van-checkbox': () => import('vant/es/checkbox/index.mjs'),
  'van-empty': () => import('vant/es/empty/index.mjs'),
  'van-field': () => import('vant/es/field/index.mjs'),
  'van-form': () => import('vant/es/form/index.mjs'),
  'van-loading': () => import('vant/es/loading/index.mjs'),
  'van-nav-bar': () => import('vant/es/nav-bar/index.mjs'),
  'van-pull-refresh': () => import('vant/es/pull-refresh/index.mjs'),
  'van-tab': () => import('vant/es/tab/index.mjs'),
  'van-tabs': () => import('vant/es/tabs/index.mjs'),
}

export default {
  install(app) {
    for (const component of FIRST) app.use(component)
    for (const [name, load] of Object.entries(LATER)) app.component(name, defineAsyncComponent(() => load().then((m) => m.default)))
  },
}
