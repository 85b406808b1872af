// The desk's side panels: work other domains put before the secretary (patrols of the day,
// overdue visits, 回访 due, ...). Each is one entry here, its component in its own domain's
// folder and its own chunk. A panel gets the props `community` (the desk's community code,
// null for the secretary's own) and `online`, and may emit `changed` when it changed work the
// queue shows (the desk then refreshes), and `overlays` with what it draws on the desk's map
// (a list of DeskMap's `overlays`: the day's patrol tracks). It draws its own heading and
// hides itself when it has nothing to show.
//
//   import { defineAsyncComponent } from 'vue'
//   { key: 'patrols', component: defineAsyncComponent(() => import('../patrols/DeskPatrols.vue')) },

import { defineAsyncComponent } from 'vue'

export const PANELS = [
  { key: 'return_visits', component: defineAsyncComponent(() => import('../return_visits/DeskReturnVisits.vue')) },
  // 巡查: today's patrols and the plans missed (views/patrols).
  { key: 'patrols', component: defineAsyncComponent(() => import('../patrols/DeskPatrols.vue')) },
  // 党建: wishes to verify and the grids' branches (views/party).
  { key: 'party', component: defineAsyncComponent(() => import('../party/DeskParty.vue')) },
]
