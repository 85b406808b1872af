// How a patrol's figures read: minutes, metres or kilometres, a share as a percentage.
export function minutes(seconds) {
  return Math.floor((seconds || 0) / 60)
}

export function distanceText(t, metres) {
  return metres >= 1000 ? t('patrols.km', { n: (metres / 1000).toFixed(1) }) : t('patrols.m', { n: Math.round(metres || 0) })
}

export function share(value) {
  return value == null ? null : `${Math.round(value * 100)}%`
}
