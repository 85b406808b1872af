// The residents' page's words alone: not the app's i18n.js, whose first bundle carries the
// members' first screen's words and Vant's locale (half of that script went unused here, as
// Lighthouse counted). Chinese, as the page has always been; its own few formats.
import { createI18n } from 'vue-i18n'
// A module of its own (scripts/precompile-messages.js's ?only): the app's named imports of
// the file are another, so these two namespaces do not share a chunk with the app's words.
import { map, residents } from '../../locales/zh-CN.json?only=residents,map'

export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN',
  messages: { 'zh-CN': { residents, map } },
  datetimeFormats: { 'zh-CN': { short: { month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false } } },
})
