// Draws the app's icons (a white 3×3 grid on the brand blue) as PNG and SVG into public/.
// No image library: a PNG is a zlib stream of RGBA rows with a few CRC-checked chunks.
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const BLUE = [0x12, 0x6a, 0xd8]
const WHITE = [0xff, 0xff, 0xff]
const ORANGE = [0xff, 0x97, 0x1a]

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes) {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

function png(size, pixel) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y += 1) {
    raw[y * (size * 4 + 1)] = 0 // filter: none
    for (let x = 0; x < size; x += 1) {
      const [r, g, b, a] = pixel(x / size, y / size)
      const i = y * (size * 4 + 1) + 1 + x * 4
      raw[i] = r
      raw[i + 1] = g
      raw[i + 2] = b
      raw[i + 3] = a
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** The design in unit coordinates; inset leaves the safe zone a maskable icon needs. */
function design(inset, rounded) {
  return (u, v) => {
    if (rounded) {
      const r = 0.18
      const cx = Math.min(Math.max(u, r), 1 - r)
      const cy = Math.min(Math.max(v, r), 1 - r)
      if ((u - cx) ** 2 + (v - cy) ** 2 > r * r) return [0, 0, 0, 0]
    }
    const lo = inset
    const hi = 1 - inset
    const line = 0.035
    if (u >= lo && u <= hi && v >= lo && v <= hi) {
      const gu = (u - lo) / (hi - lo)
      const gv = (v - lo) / (hi - lo)
      // One cell lit: "my grid".
      if (gu > 1 / 3 && gu < 2 / 3 && gv > 1 / 3 && gv < 2 / 3) {
        const near = [1 / 3, 2 / 3].some((t) => Math.abs(gu - t) < line || Math.abs(gv - t) < line)
        if (!near) return [...ORANGE, 255]
      }
      for (const t of [0, 1 / 3, 2 / 3, 1]) {
        if (Math.abs(gu - t) < line || Math.abs(gv - t) < line) return [...WHITE, 255]
      }
    }
    return [...BLUE, 255]
  }
}

const out = new URL('../public/', import.meta.url)
writeFileSync(new URL('icon-192.png', out), png(192, design(0.2, true)))
writeFileSync(new URL('icon-512.png', out), png(512, design(0.2, true)))
writeFileSync(new URL('icon-maskable-512.png', out), png(512, design(0.28, false)))
writeFileSync(new URL('apple-touch-icon.png', out), png(180, design(0.2, false)))

const hex = (c) => `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`
const lines = [0.2, 0.4, 0.6, 0.8].map((t) => t * 64)
writeFileSync(
  new URL('favicon.svg', out),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="12" fill="${hex(BLUE)}"/>
<rect x="${lines[1]}" y="${lines[1]}" width="${lines[2] - lines[1]}" height="${lines[2] - lines[1]}" fill="${hex(ORANGE)}"/>
<g stroke="${hex(WHITE)}" stroke-width="2.5" fill="none">
<rect x="${lines[0]}" y="${lines[0]}" width="${lines[3] - lines[0]}" height="${lines[3] - lines[0]}"/>
<path d="M${lines[1]} ${lines[0]}V${lines[3]}M${lines[2]} ${lines[0]}V${lines[3]}M${lines[0]} ${lines[1]}H${lines[3]}M${lines[0]} ${lines[2]}H${lines[3]}"/>
</g>
</svg>
`,
)
console.log('icons written to public/')
