import { describe, expect, it } from 'vitest'
import { isIos, needsInstallHint } from '../src/lib/install.js'

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const IPAD_DESKTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'
const ANDROID = 'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36'

describe('needsInstallHint', () => {
  it('asks on iOS Safari in a tab', () => {
    expect(needsInstallHint({ userAgent: IPHONE, standalone: false })).toBe(true)
    expect(needsInstallHint({ userAgent: IPAD_DESKTOP, standalone: false, maxTouchPoints: 5 })).toBe(true)
  })

  it('stays quiet once installed, once dismissed, and elsewhere', () => {
    expect(needsInstallHint({ userAgent: IPHONE, standalone: true })).toBe(false)
    expect(needsInstallHint({ userAgent: IPHONE, standalone: false }, true)).toBe(false)
    // no navigator.standalone: not iOS Safari (Chrome on iOS, Android, desktop)
    expect(needsInstallHint({ userAgent: IPHONE })).toBe(false)
    expect(needsInstallHint({ userAgent: ANDROID, standalone: false })).toBe(false)
    // a Mac without a touch screen
    expect(needsInstallHint({ userAgent: IPAD_DESKTOP, standalone: false, maxTouchPoints: 0 })).toBe(false)
    expect(needsInstallHint(undefined)).toBe(false)
  })

  it('recognises iOS devices', () => {
    expect(isIos({ userAgent: IPHONE })).toBe(true)
    expect(isIos({ userAgent: ANDROID })).toBe(false)
  })
})
