// Catalogue, grid polygons and the deployment's settings (the basemap): shown from the phone's
// cache at once, refreshed when online.
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import { usableBasemap } from '../lib/settings.js'
import { cached, gridQueries, refresh } from '../sync/index.js'
import { api, db } from '../services.js'

export const useReference = defineStore('reference', {
  state: () => ({ grids: null, catalogue: null, settings: null }),
  getters: {
    /** The basemap the maps draw under the grids, or null: a plain background. */
    basemap: (state) => usableBasemap(state.settings),
  },
  actions: {
    /** What the phone has cached, shown at once (works offline). */
    async load(me) {
      const queries = gridQueries(me)
      const fromCache = await Promise.all(queries.map((q) => cached(db, `grids?${q}`)))
      // Big read-only JSON (polygons, the catalogue): replaced whole, never edited, so kept
      // out of Vue's deep reactivity (walking every coordinate through a proxy is slow).
      this.grids = raw(merge(fromCache))
      this.catalogue = raw(await cached(db, 'catalogue'))
      this.settings = raw(await cached(db, 'settings'))
    },
    /** Revalidates with the server (ETags): a screen redraws only if something changed. */
    async refresh(me) {
      try {
        const queries = gridQueries(me)
        const answers = await Promise.all(queries.map((q) => refresh(db, api, `grids?${q}`, `/api/grids?${q}`, { changedOnly: true })))
        if (answers.some((a) => a !== null) || !this.grids) {
          this.grids = raw(merge(await Promise.all(queries.map((q) => cached(db, `grids?${q}`)))))
        }
        const catalogue = await refresh(db, api, 'catalogue', '/api/catalogue', { changedOnly: true })
        if (catalogue !== null || !this.catalogue) this.catalogue = raw(await cached(db, 'catalogue'))
        const settings = await refresh(db, api, 'settings', '/api/settings', { changedOnly: true })
        if (settings !== null || !this.settings) this.settings = raw(await cached(db, 'settings'))
      } catch {
        // offline: the cached copies stay (screens say when there are none)
      }
    },
  },
})

function raw(value) {
  return value && typeof value === 'object' ? markRaw(value) : value
}

function merge(collections) {
  const features = new Map()
  for (const fc of collections) for (const f of fc?.features || []) features.set(f.id ?? f.properties?.code, f)
  return features.size ? { type: 'FeatureCollection', features: [...features.values()] } : null
}
