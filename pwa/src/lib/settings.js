// The deployment's settings as the app reads them (GET /api/settings), kept light: the store
// that caches them is on the first screen, the conversion (crs.js, basemap.js) is only in the
// map chunks.

/** The CRS name as the server spells it ("wgs84" or "gcj02"), or null when unknown. */
export function crsName(crs) {
  const name = String(crs || '')
    .toLowerCase()
    .replace(/[-_]/g, '')
  return name === 'wgs84' || name === 'gcj02' ? name : null
}

/** The basemap to draw ({url, crs, attribution, subdomains}), or null for a plain background. */
export function usableBasemap(settings) {
  const basemap = settings?.basemap
  if (!basemap || typeof basemap.url !== 'string' || !basemap.url) return null
  // An unknown CRS could draw everything hundreds of metres off: no tiles rather than wrong ones.
  const crs = crsName(basemap.crs || 'wgs84')
  return crs ? { ...basemap, crs } : null
}
