// Screens: login, then four tabs (首页 / 上报 / 任务 / 我的; the first is where the role's work
// is: lib/landing.js), and the task and incident details.
import { createRouter, createWebHistory } from 'vue-router'
import { loadMessages } from './i18n.js'
import { landing } from './lib/landing.js'
import { useSession } from './stores/session.js'
import { LATER } from './vant.js'
import HomeView from './views/home/HomeView.vue'

// The first screen (home) is in the first bundle. The other tabs are not on it: their chunks
// (and the Vant components they use) are fetched once the first screen is drawn
// (prefetchTabs), so opening them is never a wait. The login (seen once a fortnight, and by a
// logged-out phone only after a reload), details, the desk and the map come in their own
// chunks. The service worker precaches every chunk: all of them work offline.
const LoginView = () => import('./views/login/LoginView.vue')
const ReportView = () => import('./views/report/ReportView.vue')
const TasksView = () => import('./views/tasks/TasksView.vue')
const MeView = () => import('./views/me/MeView.vue')

// One at a time, each in a moment the phone is idle: every chunk is a short task of its own
// (its parse, its styles' recalculation), never a long one that a tap would wait behind.
function inTurn(loaders) {
  const idle = (fn) => (window.requestIdleCallback ? window.requestIdleCallback(fn, { timeout: 5000 }) : setTimeout(fn, 200))
  const next = () => {
    const load = loaders.shift()
    if (load) idle(() => Promise.resolve().then(load).catch(() => {}).finally(next))
  }
  next()
}

export function prefetchTabs() {
  inTurn([loadMessages, ReportView, TasksView, MeView, ...Object.values(LATER)])
}

const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
  { path: '/', name: 'home', component: HomeView, meta: { tab: true } },
  // The desk's screens: on a wide screen without the phone's tabs (meta.desk).
  { path: '/desk', name: 'desk', component: () => import('./views/desk/DeskView.vue'), meta: { tab: true, desk: true } },
  { path: '/overview', name: 'overview', component: () => import('./views/desk/OverviewView.vue'), meta: { tab: true, desk: true, admins: true } },
  { path: '/called', name: 'called', component: () => import('./views/desk/CalledView.vue'), meta: { tab: true } },
  { path: '/hotline', name: 'hotline', component: () => import('./views/hotline/HotlineView.vue'), meta: { tab: true } },
  { path: '/report', name: 'report', component: ReportView, meta: { tab: true } },
  { path: '/tasks', name: 'tasks', component: TasksView, meta: { tab: true } },
  { path: '/tasks/:id', name: 'task', component: () => import('./views/tasks/TaskDetailView.vue'), props: true },
  { path: '/incidents/:id', name: 'incident', component: () => import('./views/incidents/IncidentDetailView.vue'), props: true },
  { path: '/me', name: 'me', component: MeView, meta: { tab: true } },
  // Emergency mode: the banner's screen (mode, roll-call), the inbox, and the leaders' console.
  { path: '/mode', name: 'mode', component: () => import('./views/emergency/ModeView.vue') },
  { path: '/inbox', name: 'inbox', component: () => import('./views/inbox/InboxView.vue') },
  { path: '/history', name: 'history', component: () => import('./views/me/HistoryView.vue') },
  { path: '/password', name: 'password', component: () => import('./views/me/PasswordView.vue') },
  { path: '/people', name: 'people', component: () => import('./views/me/PeopleView.vue'), meta: { leaders: true } },
  { path: '/households', name: 'households', component: () => import('./views/households/HouseholdsView.vue'), meta: { tab: true } },
  { path: '/households/:id', name: 'household', component: () => import('./views/households/HouseholdView.vue'), props: true },
  { path: '/devices', name: 'devices', component: () => import('./views/me/DevicesView.vue') },
  { path: '/calendar', name: 'calendar', component: () => import('./views/me/CalendarView.vue'), meta: { leaders: true } },
  { path: '/assessment', name: 'assessment', component: () => import('./views/assessment/AssessmentView.vue') },
  // 巡查 and the 民情日志 (views/patrols, views/journal).
  { path: '/patrols', name: 'patrols', component: () => import('./views/patrols/PatrolsView.vue') },
  { path: '/patrols/plans', name: 'patrol-plans', component: () => import('./views/patrols/PlansView.vue'), meta: { leaders: true } },
  { path: '/patrols/:id', name: 'patrol', component: () => import('./views/patrols/PatrolView.vue'), props: true },
  { path: '/journal', name: 'journal', component: () => import('./views/journal/JournalView.vue') },
  { path: '/emergency', name: 'console', component: () => import('./views/emergency/ConsoleView.vue'), meta: { leaders: true } },
  // 党建: the wish wall and activities (a party member's home), a wish, the leaders' desk.
  { path: '/wishes', name: 'wishes', component: () => import('./views/party/WishesView.vue'), meta: { tab: true } },
  { path: '/wishes/new', name: 'wish-new', component: () => import('./views/party/WishRecordView.vue') },
  { path: '/wishes/:id', name: 'wish', component: () => import('./views/party/WishDetailView.vue'), props: true },
  { path: '/party', name: 'party', component: () => import('./views/party/PartyDeskView.vue'), meta: { leaders: true } },
  { path: '/party/wishes', name: 'party-wishes', component: () => import('./views/party/WishDeskView.vue'), meta: { leaders: true } },
  { path: '/party/org', name: 'party-org', component: () => import('./views/party/PartyOrgView.vue'), meta: { leaders: true } },
  { path: '/party/meetings', name: 'party-meetings', component: () => import('./views/party/MeetingsView.vue') },
  { path: '/party/meetings/:id', name: 'party-meeting', component: () => import('./views/party/MeetingView.vue'), props: true },
  { path: '/party/projects', name: 'party-projects', component: () => import('./views/party/ProjectsView.vue') },
  { path: '/party/projects/:id', name: 'party-project', component: () => import('./views/party/ProjectView.vue'), props: true },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

// Every screen but home has its words in the rest of the messages (src/i18n.js: FIRST).
router.beforeResolve(async (to) => {
  // (Should the chunk not load, the screen still opens: its keys show, not an empty page.)
  if (to.name !== 'home') await loadMessages().catch(() => {})
})

router.beforeEach((to) => {
  const session = useSession()
  if (!to.meta.public && !session.loggedIn) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  // A logged-in user reaches the login screen only to log in again (the session expired).
  if (to.name === 'login' && session.loggedIn && !to.query.again) return { name: 'home' }
  // Logged in with a one-time code (a reset, a new account): a password of one's own first.
  if (session.me?.password_change_required && !to.meta.public && to.name !== 'password') return { name: 'password' }
  // The emergency console is for those who switch or request (street, district, secretary).
  if (to.meta.leaders && !session.isLeader) return { name: 'home' }
  // Each role's home is where its work is.
  const home = landing(session.me?.role)
  if (to.name === 'home' && home.name !== 'home') return { name: home.name }
  // The overview is for streets and the district; their desk is a community's, named.
  if (to.meta.admins && home.name !== 'overview') return { name: 'home' }
  if (to.name === 'desk' && home.name === 'overview' && !to.query.community) return { name: 'overview' }
  return true
})
