// The build's compiled translations (scripts/precompile-messages.js) say what the JSON says:
// every key of every locale, formatted by vue-i18n from the AST and from the text alike; and
// the first screen has the words it uses before the rest of them arrive.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import { compileMessages } from '../scripts/precompile-messages.js'
import { FIRST } from '../src/i18n.js'
import en from '../src/locales/en.json'
import zhCN from '../src/locales/zh-CN.json'

function leaves(messages, path = []) {
  if (typeof messages === 'string') return [[path.join('.'), messages]]
  return Object.entries(messages).flatMap(([k, v]) => leaves(v, [...path, k]))
}

// Named placeholders get their own name as the value, so a dropped or swapped one shows.
const namedArgs = (text) => Object.fromEntries([...text.matchAll(/\{\s*([A-Za-z_]\w*)\s*\}/g)].map(([, name]) => [name, `<${name}>`]))

describe.each([
  ['zh-CN', zhCN],
  ['en', en],
])('%s compiled at build time', (locale, messages) => {
  const errors = []
  const compiled = compileMessages(messages, errors)
  const make = (m) => createI18n({ legacy: false, locale, missingWarn: false, fallbackWarn: false, messages: { [locale]: m } }).global
  const text = make(messages)
  const ast = make(compiled)

  it('compiles every message', () => {
    expect(errors).toEqual([])
  })

  it('formats every message as its text does', () => {
    const differ = []
    for (const [key, source] of leaves(messages)) {
      const args = namedArgs(source)
      const cases = source.includes('|') ? [0, 1, 2, 5].map((n) => [{ n, count: n, ...args }, n]) : [[args]]
      for (const call of cases) if (ast.t(key, ...call) !== text.t(key, ...call)) differ.push([key, ast.t(key, ...call), text.t(key, ...call)])
    }
    expect(differ).toEqual([])
    expect(leaves(messages).length).toBeGreaterThan(500)
  })

  it('keeps no text twice in a message without placeholders', () => {
    expect(compiled.tabs).toEqual(Object.fromEntries(Object.entries(messages.tabs).map(([k, v]) => [k, { t: 0, b: { t: 2, s: v } }])))
  })
})

// The first screen's code: the modules main.js imports, and theirs, without the lazy import()s.
function firstScreenFiles(file, seen = new Set()) {
  if (seen.has(file)) return seen
  seen.add(file)
  const code = readFileSync(file, 'utf8').replace(/import\(\s*['"][^'"]+['"]\s*\)/g, '')
  for (const [, spec] of code.matchAll(/(?:^|\n)\s*import\s+(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const next = resolve(dirname(file), spec)
    if (/\.(js|vue)$/.test(next) && existsSync(next)) firstScreenFiles(next, seen)
  }
  return seen
}

describe('the first screen’s words (src/i18n.js FIRST)', () => {
  const src = fileURLToPath(new URL('../src/', import.meta.url))
  const files = [...firstScreenFiles(resolve(src, 'main.js'))]

  it('follows the first screen into its views and components', () => {
    const names = files.map((f) => f.slice(src.length))
    expect(names).toEqual(expect.arrayContaining(['App.vue', 'views/home/HomeView.vue', 'components/EmergencyBanner.vue', 'i18n.js']))
    expect(names).not.toContain('views/me/MeView.vue') // a lazy route
  })

  it('has every namespace its code names (a key of another would show as the key)', () => {
    const named = new Map()
    for (const file of files) {
      for (const [, ns] of readFileSync(file, 'utf8').matchAll(/['"`]([a-z_]+)\.[a-z_$]/g)) {
        if (ns in zhCN && !(ns in FIRST)) named.set(ns, file.slice(src.length))
      }
    }
    expect(Object.fromEntries(named)).toEqual({})
  })

  it('is the file’s own words, not a copy that could drift', () => {
    for (const ns of Object.keys(FIRST)) expect(FIRST[ns]).toEqual(zhCN[ns])
  })
})
