// Catalogue and grid polygons: shown from the phone's cache at once, refreshed when online.
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import { cached, gridQueries, refresh } from '../sync/index.js'
import { api, db } from '../services.js'

export const useReference = defineStore('reference', {
  state: () => ({ grids: null, catalogue: null }),
  actions: {
    async load(me) {
      const queries = gridQueries(me)
      const fromCache = await Promise.all(queries.map((q) => cached(db, `grids?${q}`)))
      // Big read-only JSON (polygons, the catalogue): replaced whole, never edited, so kept
      // out of Vue's deep reactivity (walking every coordinate through a proxy is slow).
      this.grids = raw(merge(fromCache))
      this.catalogue = raw(await cached(db, 'catalogue'))
      try {
        const fresh = await Promise.all(queries.map((q) => refresh(db, api, `grids?${q}`, `/api/grids?${q}`)))
        this.grids = raw(merge(fresh))
        this.catalogue = raw(await refresh(db, api, 'catalogue', '/api/catalogue'))
      } catch {
        // offline with nothing cached: screens say so
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
