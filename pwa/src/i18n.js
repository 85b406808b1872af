// Translations: zh-CN first, English second; the choice is kept on the phone.
import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import vantZh from 'vant/es/locale/lang/zh-CN'
import zhCN from './locales/zh-CN.json'

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
  messages: { 'zh-CN': zhCN },
  datetimeFormats: {
    'zh-CN': {
      short: { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
      long: { year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
    },
    en: {
      short: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
      long: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false },
    },
  },
})

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

/** A person's sentence for an API error code (the server's message is for developers). */
export function errorText(error) {
  const { t, te } = i18n.global
  if (!error) return ''
  if (error.name === 'NetworkError') return t('errors.network')
  const code = error.code
  if (code && te(`errors.${code}`)) return t(`errors.${code}`)
  return error.message || t('errors.unknown')
}

/** Why the server refused a command, for the person who sent it: the translated reason and,
 * for a full task, who holds it and since when (the server names them in fields._extra). */
export function rejectionText(error) {
  const { t, te, d } = i18n.global
  if (!error) return t('errors.unknown')
  const holders = error.fields?._extra?.holders
  if (error.code === 'task_full' && Array.isArray(holders) && holders.length) {
    const names = holders
      .map((h) => (h.claimed_at ? t('errors.holder_at', { name: h.name, at: d(new Date(h.claimed_at), 'short') }) : h.name))
      .join('、')
    return t('errors.task_full_by', { names })
  }
  if (error.code && te(`errors.${error.code}`)) return t(`errors.${error.code}`)
  return error.message || error.code || t('errors.unknown')
}
