// Catalogue and grid polygons: shown from the phone's cache at once, refreshed when online.
import { defineStore } from 'pinia'
import { cached, gridQueries, refresh } from '../sync/index.js'
import { api, db } from '../services.js'

export const useReference = defineStore('reference', {
  state: () => ({ grids: null, catalogue: null }),
  actions: {
    async load(me) {
      const queries = gridQueries(me)
      const fromCache = await Promise.all(queries.map((q) => cached(db, `grids?${q}`)))
      this.grids = merge(fromCache)
      this.catalogue = await cached(db, 'catalogue')
      try {
        const fresh = await Promise.all(queries.map((q) => refresh(db, api, `grids?${q}`, `/api/grids?${q}`)))
        this.grids = merge(fresh)
        this.catalogue = await refresh(db, api, 'catalogue', '/api/catalogue')
      } catch {
        // offline with nothing cached: screens say so
      }
    },
  },
})

function merge(collections) {
  const features = new Map()
  for (const fc of collections) for (const f of fc?.features || []) features.set(f.id ?? f.properties?.code, f)
  return features.size ? { type: 'FeatureCollection', features: [...features.values()] } : null
}
