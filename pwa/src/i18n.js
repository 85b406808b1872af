// Translations: zh-CN first, English second; the choice is kept on the phone.
import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import vantZh from 'vant/es/locale/lang/zh-CN'
// The words of the first screen (the frame, a member's home and what it shows: banner,
// roll-call, cards, sync line, errors and outcomes) come with it; the rest of the file comes
// once the first screen is drawn (loadMessages), before any other screen or a lazy part of
// this one is shown. tests/messages.test.js checks that every namespace the first screen's
// code names is here.
import { app, commands, common, emergency, errors, home, incident_state, incidents, install, journal, outcome, patrols, push, rollcall, sync, tabs, tasks, time, update } from './locales/zh-CN.json'

export const FIRST = { app, commands, common, emergency, errors, home, incident_state, incidents, install, journal, outcome, patrols, push, rollcall, sync, tabs, tasks, time, update }

export const LOCALES = [
  { code: 'zh-CN', name: '简体中文' },
  { code: 'en', name: 'English' },
]
const KEY = 'gridlink.locale'

function initial() {
  try {
    const saved = localStorage.getItem(KEY)
    if (LOCALES.some((l) => l.code === saved)) return saved
  } catch {
    // storage blocked: default language
  }
  return 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  // English is loaded when chosen (it is precached like every chunk: works offline too).
  messages: { 'zh-CN': FIRST },
  datetimeFormats: {
    'zh-CN': {
      // 12月2日 05:38 and 2026年12月2日 05:38: the Chinese form, not 12/2.
      short: { month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
      long: { year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
    },
    en: {
      short: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
      long: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
    },
  },
})

let allChinese = null
/** Every zh-CN message (its own chunk, precached like every chunk: offline too). */
export function loadMessages() {
  allChinese ??= import('./locales/zh-CN.json?all').then(
    (m) => i18n.global.setLocaleMessage('zh-CN', m.default),
    (error) => {
      allChinese = null // asked again by the next screen
      throw error
    },
  )
  return allChinese
}

export async function setLocale(code) {
  let vant = vantZh
  if (code === 'en') {
    const [messages, vantEn] = await Promise.all([import('./locales/en.json'), import('vant/es/locale/lang/en-US')])
    i18n.global.setLocaleMessage('en', messages.default)
    vant = vantEn.default
  }
  i18n.global.locale.value = code
  Locale.use(code === 'en' ? 'en-US' : 'zh-CN', vant)
  document.documentElement.lang = code
  try {
    localStorage.setItem(KEY, code)
  } catch {
    // not kept: fine
  }
}

/** An item's name in the chosen language: a category, a unit ({name, name_en, code}). */
export function localName(item) {
  if (!item) return ''
  return (i18n.global.locale.value === 'en' && item.name_en) || item.name || item.code || ''
}

// What a status says when the app does not know the error's code (a proxy's 502 has none).
const BY_STATUS = { 400: 'validation_error', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'changed', 413: 'too_large', 422: 'validation_error', 429: 'rate_limited' }

/** The translated sentence for an error's code, else for its HTTP status: never the server's
 * English message (it is for developers) nor a raw "HTTP 502". */
function known(error) {
  const { t, te } = i18n.global
  if (error.name === 'NetworkError') return t('errors.network')
  if (error.code && te(`errors.${error.code}`)) return t(`errors.${error.code}`)
  const status = Number(error.status)
  if (status >= 500) return t('errors.server')
  if (BY_STATUS[status]) return t(`errors.${BY_STATUS[status]}`)
  return t('errors.unknown')
}

/** A person's sentence for an API error (ApiError, NetworkError, or a stored {code, status}). */
export function errorText(error) {
  return error ? known(error) : ''
}

/** Why the server refused a command, for the person who sent it: the translated reason and,
 * for a full task, who holds it and since when (the server names them in fields._extra). */
export function rejectionText(error) {
  const { t, d } = i18n.global
  if (!error) return t('errors.unknown')
  const holders = error.fields?._extra?.holders
  if (error.code === 'task_full' && Array.isArray(holders) && holders.length) {
    const names = holders
      .map((h) => (h.claimed_at ? t('errors.holder_at', { name: h.name, at: d(new Date(h.claimed_at), 'short') }) : h.name))
      .join('、')
    return t('errors.task_full_by', { names })
  }
  return known(error)
}

/** What became of an action just done (engine.send's outcome), in one sentence: sent and
 * applied, refused and why, or kept on the phone and why (no network, the server). */
export function outcomeText({ command, state, error, why }) {
  const { t } = i18n.global
  const what = t(`commands.${command.type}`)
  if (state === 'applied') {
    const done = t(`outcome.applied.${command.type}`)
    const photos = command.args?.photos?.length
    return photos ? t('outcome.photos_follow', { done, n: photos }) : done
  }
  if (state === 'rejected') return t('outcome.rejected', { what, reason: rejectionText(error) })
  // An answer to a roll-call (the urgent lane) goes before everything else once it can.
  if (command.lane === 'urgent' && ['offline', 'server'].includes(why)) return t(`outcome.kept_first.${why}`, { what })
  return t(`outcome.kept.${['offline', 'server', 'login'].includes(why) ? why : 'sending'}`, { what })
}
