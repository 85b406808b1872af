// Vite plugin: the translations (src/locales/*.json) are compiled at build time, so the app
// ships vue-i18n without its message compiler (__INTLIFY_DROP_MESSAGE_COMPILER__ in
// vite.config.js) and parses no message on the phone. Each message becomes the compiler's
// minified AST, which vue-i18n's runtime formats; the files stay plain JSON for the people
// who add keys to them. A message the compiler refuses fails the build, naming its key.
import { baseCompile } from '@intlify/message-compiler'

const LOCALE = /[\\/]src[\\/]locales[\\/][^\\/]+\.json$/

/** The messages of one locale file, each string replaced by its AST (errors are collected). */
export function compileMessages(messages, errors = [], path = []) {
  if (typeof messages === 'string') {
    const { ast } = baseCompile(messages, {
      jit: true,
      minify: true,
      location: false,
      onError: (error) => errors.push(`${path.join('.')}: ${error.message}`),
    })
    return withoutStaticItems(ast)
  }
  if (Array.isArray(messages)) return messages.map((m, i) => compileMessages(m, errors, [...path, i]))
  if (messages && typeof messages === 'object') {
    return Object.fromEntries(Object.entries(messages).map(([k, v]) => [k, compileMessages(v, errors, [...path, k])]))
  }
  return messages
}

// A message without placeholders keeps its text in `s`, which the runtime reads instead of
// the items (core-base's formatMessageParts): the items' stubs ({"t":3} each) go.
function withoutStaticItems(node) {
  if (Array.isArray(node)) return node.map(withoutStaticItems)
  if (!node || typeof node !== 'object') return node
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'i' && typeof node.s === 'string') continue
    out[key] = withoutStaticItems(value)
  }
  return out
}

/**
 * The plugin. `import x from './locales/zh-CN.json?all'` is the whole file as its own module
 * (src/i18n.js imports the first screen's namespaces by name, the rest later): a module of
 * its own, so the bundler does not fold it into the named imports' chunk.
 */
export default function precompileMessages() {
  let build = false
  return {
    name: 'gridlink-precompile-messages',
    enforce: 'pre',
    configResolved(config) {
      build = config.command === 'build'
    },
    transform(code, id) {
      const [file, query] = id.split('?')
      if (!LOCALE.test(file)) return null
      let messages = JSON.parse(code)
      if (build) {
        const errors = []
        messages = compileMessages(messages, errors)
        if (errors.length) this.error(`${file}: ${errors.join('; ')}`)
      }
      if (query === 'all') return { code: `export default JSON.parse(${JSON.stringify(JSON.stringify(messages))})`, map: null }
      // `?only=a,b`: those namespaces as named exports, a module apart from the file's own
      // (the residents' page takes its two without sharing a chunk with the app's words).
      const only = new URLSearchParams(query || '').get('only')
      if (only) {
        const names = only.split(',')
        return { code: names.map((n) => `export const ${n} = JSON.parse(${JSON.stringify(JSON.stringify(messages[n]))})`).join('\n'), map: null }
      }
      // Still JSON: Vite's own JSON plugin makes the module of it (named exports too).
      return build ? { code: JSON.stringify(messages), map: null } : null
    },
  }
}
