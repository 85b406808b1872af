// The deployment's optional basemap (GET /api/settings → basemap) and conversion at the edge:
// on a GCJ-02 basemap what is drawn is shifted WGS-84 → GCJ-02, and a point taken from the map
// is shifted back before anyone stores or sends it. Stored data is never GCJ-02.
import { gcj02ToWgs84, mapGeometry, wgs84ToGcj02 } from './crs.js'

export { usableBasemap } from './settings.js'

/**
 * How positions go onto and off a map drawn over basemap (null: no basemap, WGS-84):
 *  - toMap(lat, lng) → [lat, lng] for Leaflet;
 *  - fromMap(lat, lng) → {lat, lng} in WGS-84 (a moved pin, a tap);
 *  - features(list) → GeoJSON features with their geometry shifted for display.
 */
export function projection(basemap) {
  if (basemap?.crs !== 'gcj02') {
    return {
      shifted: false,
      toMap: (lat, lng) => [lat, lng],
      fromMap: (lat, lng) => ({ lat, lng }),
      features: (list) => list || [],
    }
  }
  return {
    shifted: true,
    toMap(lat, lng) {
      const [x, y] = wgs84ToGcj02(lng, lat)
      return [y, x]
    },
    fromMap(lat, lng) {
      const [x, y] = gcj02ToWgs84(lng, lat)
      return { lat: y, lng: x }
    },
    features: (list) => (list || []).map((f) => ({ ...f, geometry: mapGeometry(f.geometry, wgs84ToGcj02) })),
  }
}

/** The setting's subdomains as Leaflet takes them: "abc" (one letter each, as Leaflet reads a
 * string) or "t0,t1,t2" (a list); null for Leaflet's default ("abc"). */
export function subdomainsOf(sub) {
  if (typeof sub === 'string' && sub) return sub.includes(',') ? sub.split(',').map((s) => s.trim()).filter(Boolean) : sub
  return Array.isArray(sub) && sub.length ? sub : null
}

/** Leaflet TileLayer options for the basemap. */
export function tileOptions(basemap) {
  // CORS: the tile host's answers are then readable, so the service worker keeps them at their
  // size (an opaque answer counts as megabytes against the phone's storage quota).
  const options = { maxZoom: 19, attribution: basemap.attribution || '', crossOrigin: 'anonymous' }
  const sub = subdomainsOf(basemap.subdomains)
  if (sub) options.subdomains = sub
  return options
}

/**
 * Adds the basemap's tiles (its labels, and its attribution, which a tile licence asks for) to a Leaflet
 * map; returns the layers to remove, or [] with no basemap. L is passed in: this module stays
 * free of Leaflet (it is tested in Node).
 */
export function addBasemap(L, map, basemap) {
  if (!basemap) return []
  const tiles = L.tileLayer(basemap.url, tileOptions(basemap)).addTo(map)
  tiles.bringToBack()
  const layers = [tiles]
  // Labels served apart (天地图's 注记) go over the tiles, under the grids.
  if (basemap.labels) layers.push(L.tileLayer(basemap.labels, { ...tileOptions(basemap), attribution: '' }).addTo(map))
  if (basemap.attribution) layers.push(L.control.attribution({ prefix: false, position: 'bottomleft' }).addAttribution(basemap.attribution).addTo(map))
  return layers
}

/** Names Leaflet's zoom buttons in the reader's language (they are only "+" and "−"). */
export function labelZoom(map, t) {
  const container = map.zoomControl?.getContainer()
  container?.querySelector('.leaflet-control-zoom-in')?.setAttribute('aria-label', t('map.zoom_in'))
  container?.querySelector('.leaflet-control-zoom-out')?.setAttribute('aria-label', t('map.zoom_out'))
}
