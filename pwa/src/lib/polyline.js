// Google's encoded polyline, the wire of a patrol's points (docs/sync.md): the mirror of
// app/patrols/track.py, at 6 decimal places (about 0.1 m).
export const PRECISION = 6

/** [[lat, lng], …] as an encoded polyline. */
export function encodePolyline(coords, precision = PRECISION) {
  const factor = 10 ** precision
  let out = ''
  let previous = [0, 0]
  for (const [lat, lng] of coords) {
    const now = [Math.round(lat * factor), Math.round(lng * factor)]
    for (const delta of [now[0] - previous[0], now[1] - previous[1]]) {
      // Numbers, not 32-bit ints: a delta at 6 places can pass 2^31 / 2 across the globe.
      let value = delta < 0 ? -2 * delta - 1 : 2 * delta
      while (value >= 0x20) {
        out += String.fromCharCode((0x20 | value % 0x20) + 63)
        value = Math.floor(value / 0x20)
      }
      out += String.fromCharCode(value + 63)
    }
    previous = now
  }
  return out
}

/** The [[lat, lng], …] of an encoded polyline. */
export function decodePolyline(text, precision = PRECISION) {
  const factor = 10 ** precision
  const values = []
  let result = 0
  let scale = 1
  for (let i = 0; i < text.length; i += 1) {
    const byte = text.charCodeAt(i) - 63
    result += (byte % 0x20) * scale
    scale *= 0x20
    if (byte < 0x20) {
      values.push(result % 2 ? -(result + 1) / 2 : result / 2)
      result = 0
      scale = 1
    }
  }
  const coords = []
  let lat = 0
  let lng = 0
  for (let i = 0; i + 1 < values.length; i += 2) {
    lat += values[i]
    lng += values[i + 1]
    coords.push([lat / factor, lng / factor])
  }
  return coords
}
