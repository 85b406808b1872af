// 大字模式: larger secondary text and Vant's type across the app (html.large-text in
// styles.css), chosen in 我的 and kept on this phone.
const KEY = 'gridlink.large_text'

export function largeText() {
  try {
    return localStorage.getItem(KEY) === '1'
  } catch {
    return false
  }
}

export function setLargeText(on) {
  document.documentElement.classList.toggle('large-text', on)
  try {
    if (on) localStorage.setItem(KEY, '1')
    else localStorage.removeItem(KEY)
  } catch {
    // not kept: this session only
  }
}
