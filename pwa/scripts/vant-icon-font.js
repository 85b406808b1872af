// Vite plugin: Vant's icon font ships inline (a data: URI, which the server's CSP refuses for
// fonts) with a fallback on a CDN (which this app must never load). This serves the same
// woff2 as a file of the app instead, and drops the CDN fallback.
import { createHash } from 'node:crypto'

const FACE = /src:url\(data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)\)\s*format\("woff2"\)(?:,url\([^)]*\)\s*format\("woff"\))?/

export default function vantIconFont() {
  let font = null
  let fileName = null
  return {
    name: 'gridlink-vant-icon-font',
    enforce: 'pre',
    transform(code, id) {
      if (!/vant[\\/]es[\\/]icon[\\/]index\.css$/.test(id.split('?')[0])) return null
      const match = code.match(FACE)
      if (!match) this.error('Vant icon font: @font-face not found; check the Vant version')
      font = Buffer.from(match[1], 'base64')
      const hash = createHash('sha256').update(font).digest('hex').slice(0, 8)
      fileName = `assets/vant-icon-${hash}.woff2`
      return { code: code.replace(FACE, `src:url(/${fileName}) format("woff2")`), map: null }
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (font && req.url === `/${fileName}`) {
          res.setHeader('Content-Type', 'font/woff2')
          res.end(font)
        } else next()
      })
    },
    generateBundle() {
      if (font) this.emitFile({ type: 'asset', fileName, source: font })
    },
  }
}
