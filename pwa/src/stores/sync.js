// The sync state and the shown entities (pulled + overlay), live from IndexedDB.
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import { awaitingMe, currentMode } from '../lib/emergency.js'
import { FLUSH, getMeta, liveQuery, overlay } from '../sync/index.js'
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
    photosWaiting: [], // sha256 of this user's photos not yet on the server
    photosRefused: [], // blobs the server will never take, with its reason
    upload: null, // the photo going up now: {sha256, sent, total, index, count}
    subscriptions: [],
    // The phone's outbox and entities have been read once since login or start: screens drawn
    // before would shift when a banner or a roll-call card arrives above them.
    ready: false,
  }),
  getters: {
    pendingCount: (state) => state.commands.filter((c) => c.state === 'pending').length,
    /** Everything not yet on the server: commands and photos (the badge, home's 待同步). */
    unsentCount() {
      return this.pendingCount + this.photosWaiting.length
    },
    /** How far the photo going up now is, 0-100. */
    uploadPercent: (state) => (state.upload?.total ? Math.min(100, Math.round((state.upload.sent / state.upload.total) * 100)) : 0),
    /** How many of an incident's or a task's photos are still only on this phone. */
    unsentPhotos(state) {
      const waiting = new Set(state.photosWaiting)
      return (item) => (item?.photos || []).filter((p) => waiting.has(p.sha256)).length
    },
    rejected: (state) => state.commands.filter((c) => c.state === 'rejected'),
    view: (state) => overlay(state.entities, state.commands, engine.user),
    tasks() {
      return this.view.tasks
    },
    incidents() {
      return this.view.incidents
    },
    /** 微心愿 and 志愿服务 pulled for me (the wall of the communities I reported to). */
    wishes() {
      return this.view.wishes
    },
    activities() {
      return this.view.activities
    },
    /** Patrols (巡查): mine, and for a secretary the community's; newest first. */
    patrols() {
      return [...this.view.patrols].sort((a, b) => (Date.parse(b.started_at) || 0) - (Date.parse(a.started_at) || 0))
    },
    /** Patrol plans (巡查计划) of the grids I may see, by grid code: the grid's own first,
     * an emergency's after it. */
    plansByGrid() {
      const found = {}
      for (const plan of this.view.plans) (found[plan.grid?.code] ||= []).push(plan)
      for (const list of Object.values(found)) list.sort((a, b) => Number(!!a.emergency_id) - Number(!!b.emergency_id) || a.id - b.id)
      return found
    },
    /** 民情日志 entries, newest day first. */
    journal() {
      return [...this.view.journal].sort((a, b) => String(b.day).localeCompare(String(a.day)))
    },
    /** 住户: the households I see (a 联户长: my group's), as pulled, with my changes on top. */
    households() {
      return this.view.households
    },
    /** 走访 records pulled (the last 30 days') and mine still on the phone, newest first. */
    visits() {
      return [...this.view.visits].sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0))
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
    /** ok, syncing, offline (no network), server (the phone is online but the server did
     * not answer, or answered 5xx), login, error: one word for the line and its colour. */
    phase(state) {
      if (state.needsLogin) return 'login'
      if (state.running) return 'syncing'
      if (!state.online) return 'offline'
      if (state.lastResult === FLUSH.OFFLINE || state.lastResult === FLUSH.SERVER) return 'server'
      if (state.lastError) return 'error'
      return 'ok'
    },
  },
  actions: {
    /** Starts watching the database; call once after the user is known. */
    watch(userId) {
      this.unwatch()
      const unread = new Set(['data'])
      const read = (name) => {
        unread.delete(name)
        if (!unread.size) this.ready = true
      }
      // Each query runs again when one of its tables changes (here or in another tab).
      const sub = (tables, query, apply, name) =>
        this.subscriptions.push(
          liveQuery(db, tables, query).subscribe({
            next: (rows) => {
              apply(rows)
              read(name)
            },
            error: () => read(name),
          }),
        )
      // The outbox and the pulled entities are read together, in one transaction: a pull
      // writes the server's new state and drops the commands it includes at once, and two
      // reads could see one without the other (a started case shown as not started for a
      // moment, which unmounted the handling form and lost the photo being chosen).
      sub(
        ['outbox', 'entities'],
        () =>
          db.transaction('r', db.outbox, db.entities, async (tx) => ({
            outbox: await tx.outbox.toArray(),
            entities: await tx.entities.toArray(),
          })),
        ({ outbox, entities }) => {
          const mine = outbox.filter((r) => r.user_id === userId)
          mine.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || a.seq - b.seq)
          // Rows from IndexedDB are replaced whole on every change: no deep proxies.
          this.commands = markRaw(mine)
          this.othersPending = outbox.filter((r) => r.user_id !== userId && r.state === 'pending').length
          this.entities = markRaw(entities)
        },
        'data',
      )
      sub(
        ['blobs'],
        () => db.blobs.where('uploaded').anyOf(0, -1).filter((b) => b.user_id === userId).toArray(),
        (rows) => {
          this.photosWaiting = markRaw(rows.filter((b) => b.uploaded === 0).map((b) => b.sha256))
          this.photosRefused = rows.filter((b) => b.uploaded === -1).map(({ sha256, error }) => ({ sha256, error }))
        },
      )
      const off = engine.on((event) => {
        if (event.type === 'upload') {
          this.upload = event.done ? null : { sha256: event.sha256, sent: event.sent, total: event.total, index: event.index, count: event.count }
        } else if (event.type === 'flush') {
          // Every flush, whoever started it (a trigger, a button, send()).
          this.running = event.running
          if (event.result) this.lastResult = event.result.status
        }
      })
      this.subscriptions.push({ unsubscribe: off })
      sub(
        ['meta'],
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
      this.ready = false
    },
    flush() {
      return engine.flush()
    },
    /** Queues an action, shows it at once (the overlay), and tries to send it. */
    async act(type, args, meta) {
      const command = await engine.enqueue(type, args, meta)
      this.flush()
      return command
    },
    /** As act, and resolves with what happened to it (engine.send); `why` of a command kept
     * on the phone says offline only when the phone has no network. */
    async send(type, args, meta) {
      const outcome = await engine.send(type, args, meta)
      if (outcome.state === 'kept' && outcome.why === FLUSH.OFFLINE && this.online) return { ...outcome, why: FLUSH.SERVER }
      return outcome
    },
    dismiss(commandId) {
      return engine.dismiss(commandId)
    },
    setOnline(online) {
      this.online = online
    },
  },
})
