// Who is logged in on this phone. The last session is kept in IndexedDB so the app opens
// offline; the server's cookie decides whether it is still valid (a 401 asks again).
import { defineStore } from 'pinia'
import { disablePush } from '../push.js'
import { api, engine } from '../services.js'

const PHONE_KEY = 'gridlink.phone'

export const useSession = defineStore('session', {
  state: () => ({ me: null, restored: false }),
  getters: {
    loggedIn: (state) => state.me !== null,
    /** Who switches to emergency mode (a secretary requests it): the emergency console. */
    isLeader: (state) => ['secretary', 'street_admin', 'district_admin'].includes(state.me?.role),
    /** Party members and volunteers (党员志愿者): the wish wall and activities, no cases. */
    isParty: (state) => state.me?.role === 'party_member',
    /** Codes of the grids I serve. */
    gridCodes: (state) => (state.me?.units || []).filter((u) => u.level === 'grid').map((u) => u.code),
  },
  actions: {
    async restore() {
      this.me = await engine.restoreUser()
      this.restored = true
    },
    rememberedPhone() {
      try {
        return localStorage.getItem(PHONE_KEY) || ''
      } catch {
        return ''
      }
    },
    async login(phone, password, remember) {
      const me = await api.login(phone, password, remember)
      try {
        if (remember) localStorage.setItem(PHONE_KEY, phone)
        else localStorage.removeItem(PHONE_KEY)
      } catch {
        // not kept: fine
      }
      await engine.setUser(me)
      this.me = me
      engine.flush()
      return me
    },
    /** Refreshes my profile (units may have changed) when online; keeps the cached one if not. */
    async refreshMe() {
      if (!this.me) return
      try {
        const me = await api.get('/api/me')
        if (me.id === this.me.id) {
          await engine.setUser(me)
          this.me = me
        }
      } catch {
        // offline or expired: the sync status says which
      }
    },
    /** Logs out. Unsent commands stay on the phone for this user's next login. */
    async logout() {
      try {
        // This phone's pushes were this person's: they stop with the session.
        await disablePush(api)
      } catch {
        // offline: the server drops the subscription when the next person's phone renews it
      }
      try {
        await api.logout()
      } catch {
        // offline: the local session ends anyway
      }
      await engine.forgetUser()
      this.me = null
    },
  },
})
