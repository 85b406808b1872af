// The sync state and the shown entities (pulled + overlay), live from IndexedDB.
import { liveQuery } from 'dexie'
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import { awaitingMe, currentMode } from '../lib/emergency.js'
import { FLUSH, getMeta, overlay } from '../sync/index.js'
import { db, engine } from '../services.js'
import { useSession } from './session.js'

export const useSync = defineStore('sync', {
  state: () => ({
    running: false,
    online: typeof navigator === 'undefined' ? true : navigator.onLine !== false,
    lastResult: null,
    commands: [], // this user's outbox rows, oldest first
    othersPending: 0,
    entities: [],
    lastSync: null,
    lastError: null,
    needsLogin: false,
    photosWaiting: 0,
    photosRefused: [], // blobs the server will never take, with its reason
    upload: null, // the photo going up now: {sha256, sent, total, index, count}
    subscriptions: [],
  }),
  getters: {
    pendingCount: (state) => state.commands.filter((c) => c.state === 'pending').length,
    rejected: (state) => state.commands.filter((c) => c.state === 'rejected'),
    view: (state) => overlay(state.entities, state.commands, engine.user),
    tasks() {
      return this.view.tasks
    },
    incidents() {
      return this.view.incidents
    },
    /** Emergency switches (平急结合) pulled for my area, and each by id. */
    emergencies() {
      return this.view.emergencies
    },
    switchesById() {
      return Object.fromEntries(this.view.emergencies.map((s) => [s.id, s]))
    },
    /** The switch my banner shows (covering my grids), or null: normal times. */
    mode() {
      return currentMode(this.view.emergencies, useSession().gridCodes)
    },
    /** Roll-calls (叫应) waiting for my answer. */
    rollcallsWaiting() {
      return awaitingMe(this.view.rollcalls)
    },
    /** The inbox (站内信), newest first. */
    messages() {
      return [...this.view.messages].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || b.id - a.id)
    },
    unread() {
      return this.view.messages.filter((m) => !m.read_at).length
    },
    /** ok, syncing, offline, login, error: one word for the badge and the banner. */
    phase(state) {
      if (state.needsLogin) return 'login'
      if (state.running) return 'syncing'
      if (!state.online || state.lastResult === FLUSH.OFFLINE) return 'offline'
      if (state.lastError) return 'error'
      return 'ok'
    },
  },
  actions: {
    /** Starts watching the database; call once after the user is known. */
    watch(userId) {
      this.unwatch()
      const sub = (query, apply) => this.subscriptions.push(liveQuery(query).subscribe({ next: apply, error: () => {} }))
      sub(
        () => db.outbox.toArray(),
        (rows) => {
          const mine = rows.filter((r) => r.user_id === userId)
          mine.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || a.seq - b.seq)
          // Rows from IndexedDB are replaced whole on every change: no deep proxies.
          this.commands = markRaw(mine)
          this.othersPending = rows.filter((r) => r.user_id !== userId && r.state === 'pending').length
        },
      )
      sub(
        () => db.blobs.where('uploaded').anyOf(0, -1).filter((b) => b.user_id === userId).toArray(),
        (rows) => {
          this.photosWaiting = rows.filter((b) => b.uploaded === 0).length
          this.photosRefused = rows.filter((b) => b.uploaded === -1).map(({ sha256, error }) => ({ sha256, error }))
        },
      )
      const off = engine.on((event) => {
        if (event.type !== 'upload') return
        this.upload = event.done ? null : { sha256: event.sha256, sent: event.sent, total: event.total, index: event.index, count: event.count }
      })
      this.subscriptions.push({ unsubscribe: off })
      sub(
        () => db.entities.toArray(),
        (rows) => {
          this.entities = markRaw(rows)
        },
      )
      sub(
        async () => ({
          lastSync: await getMeta(db, 'last_sync'),
          lastError: await getMeta(db, 'last_error'),
          needsLogin: Boolean(await getMeta(db, 'needs_login')),
        }),
        (meta) => Object.assign(this, meta),
      )
    },
    unwatch() {
      for (const s of this.subscriptions) s.unsubscribe()
      this.subscriptions = []
      this.commands = []
      this.entities = []
    },
    async flush() {
      this.running = true
      try {
        const result = await engine.flush()
        if (result.status !== FLUSH.BUSY) this.lastResult = result.status
        return result
      } finally {
        this.running = false
      }
    },
    /** Queues an action, shows it at once (the overlay), and tries to send it. */
    async act(type, args, meta) {
      const command = await engine.enqueue(type, args, meta)
      this.flush()
      return command
    },
    dismiss(commandId) {
      return engine.dismiss(commandId)
    },
    setOnline(online) {
      this.online = online
    },
  },
})
