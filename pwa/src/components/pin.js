// The map pin, drawn with CSS: no image URL to load (works offline, no CDN). For the maps that
// place a point (LocationPicker, the residents' map).
import L from 'leaflet'
import './pin.css'

export const pin = L.divIcon({ className: 'gl-pin', html: '<span></span>', iconSize: [28, 40], iconAnchor: [14, 40] })
