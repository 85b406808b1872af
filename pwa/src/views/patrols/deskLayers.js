// The day's patrols as the desk's map draws them (DeskMap's `overlays`): each patrol's track
// as a line (points too inaccurate to count left out, as the server counts), a tap telling
// who walked it, when, how far and how much of the grid it covered; and the checkpoints of
// the community's plans. Plain functions: the panel passes them up, the map draws them.
import { decodePolyline } from '../../lib/polyline.js'
import { distanceText, minutes, share } from './format.js'

// Leaflet puts a popup's text in as HTML: names typed by people are escaped.
const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

// Tracks in turn take these colours, so two members' walks of one grid stay apart.
export const COLOURS = ['#ee0a24', '#7232dd', '#1989fa', '#ff976a', '#07c160']

/** A track of the wire ({line, accuracy, max_accuracy_m}) as [lng, lat] pairs, counted points only. */
export function countedLine(track) {
  if (!track?.line) return []
  const limit = track.max_accuracy_m ?? 50
  return decodePolyline(track.line)
    .filter((_, i) => (track.accuracy?.[i] ?? 0) <= limit)
    .map(([lat, lng]) => [lng, lat])
}

export function patrolOverlays(patrols, plans, t, d) {
  const overlays = []
  const features = patrols
    .map((patrol, i) => ({ patrol, colour: COLOURS[i % COLOURS.length], line: countedLine(patrol.track) }))
    .filter(({ line }) => line.length >= 2)
    .map(({ patrol, colour, line }) => ({
      type: 'Feature',
      properties: { id: patrol.id, colour, popup: popupOf(patrol, t, d) },
      geometry: { type: 'LineString', coordinates: line },
    }))
  if (features.length) {
    overlays.push({
      geojson: { type: 'FeatureCollection', features },
      style: (f) => ({ color: f.properties.colour, weight: 4, opacity: 0.8, className: 'patrol-track' }),
      popup: (f) => f.properties.popup,
    })
  }
  const checkpoints = plans.flatMap((plan) =>
    (plan.checkpoints || []).map((c, i) => ({
      type: 'Feature',
      properties: { name: `${plan.ordered ? `${i + 1}. ` : ''}${c.name}`, plan: plan.title, grid: plan.grid?.name || plan.grid?.code },
      geometry: c.polygon ? { type: 'Polygon', coordinates: [c.polygon] } : { type: 'Point', coordinates: [c.lng, c.lat] },
    })),
  )
  if (checkpoints.length) {
    overlays.push({
      geojson: { type: 'FeatureCollection', features: checkpoints },
      style: { color: '#ff976a', weight: 2, fillColor: '#ff976a', fillOpacity: 0.35, className: 'patrol-checkpoint' },
      popup: (f) => `<strong>${escape(f.properties.name)}</strong><br>${escape(t('patrols.checkpoint_of', { grid: f.properties.grid, plan: f.properties.plan }))}`,
    })
  }
  return overlays
}

function popupOf(patrol, t, d) {
  const when = d(new Date(patrol.started_at), 'short')
  const lines = [
    `<strong>${escape(patrol.member?.name)}</strong> · ${escape(patrol.grid?.name || patrol.grid?.code)}`,
    escape(t('patrols.popup_time', { when, minutes: minutes(patrol.duration_s) })),
    escape(`${t('patrols.distance')} ${distanceText(t, patrol.length_m)} · ${t('patrols.coverage')} ${share(patrol.coverage) ?? t('patrols.coverage_pending')}`),
  ]
  return `<div class="patrol-popup">${lines.join('<br>')}</div>`
}
