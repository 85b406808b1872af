// Looks at the built app as a person would: headless Chromium at 360×640, against a running
// server (BASE, default http://127.0.0.1:5000) and a demo login (PHONE, PASSWORD).
// Writes PNGs into OUT (default /tmp) and checks that the app reopens offline after a reload.
import { chromium } from 'playwright-core'

const BASE = process.env.BASE || 'http://127.0.0.1:5000'
const OUT = process.env.OUT || '/tmp'
const { PHONE, PASSWORD } = process.env
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
const context = await browser.newContext({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, locale: 'zh-CN', hasTouch: true, isMobile: true })
const page = await context.newPage()
const problems = []
page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`))
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))

const shot = async (name) => {
  await page.waitForTimeout(600)
  await page.screenshot({ path: `${OUT}/gridlink-${name}.png` })
  console.log(`${OUT}/gridlink-${name}.png`)
}

await page.goto(`${BASE}/`, { waitUntil: 'networkidle' })
await page.waitForSelector('input[name=phone]')
await shot('login')

if (PHONE && PASSWORD) {
  await page.fill('input[name=phone]', PHONE)
  await page.fill('input[name=password]', PASSWORD)
  await page.getByRole('button', { name: /登录|Log in/ }).click()
  await page.waitForURL(`${BASE}/`)
  await page.waitForSelector('.grid-sketch path', { timeout: 10000 }).catch(() => problems.push('no map'))
  await page.waitForTimeout(1500)
  await shot('home')

  await page.locator('.van-tabbar').getByRole('tab', { name: /^(任务|Tasks)$/ }).click()
  await page.waitForTimeout(800)
  await shot('tasks')
  const claim = page.getByRole('button', { name: /认领任务|Claim task/ }).first()
  if (await claim.count()) {
    await context.setOffline(true)
    await claim.click()
    await page.waitForTimeout(800)
    await page.getByRole('tab', { name: /^(我的任务|My tasks)/ }).click()
    await page.waitForTimeout(800)
    await shot('tasks-mine-offline')
    // Reload with no network: the shell comes from the service worker, the data from IndexedDB.
    await page.reload({ waitUntil: 'load' }).catch((e) => problems.push(`offline reload: ${e.message}`))
    await page.waitForTimeout(1500)
    await shot('tasks-offline-reload')
    await page.locator('.van-tabbar').getByRole('tab', { name: /^(我的|Me)/ }).click()
    await page.waitForTimeout(800)
    await shot('me-offline')
    await context.setOffline(false)
    await page.getByRole('button', { name: /立即同步|Sync now/ }).first().click()
    await page.waitForTimeout(2000)
    await shot('me-synced')
  }

  // Report: category → photo → GPS point → description → submit, then sync.
  await context.grantPermissions(['geolocation'])
  await context.setGeolocation({ latitude: 27.7845, longitude: 109.2255, accuracy: 12 })
  await page.locator('.van-tabbar').getByRole('tab', { name: /^(上报|Report)$/ }).click()
  await page.waitForTimeout(800)
  await shot('report-category')
  await page.locator('.van-cell').nth(2).click()
  await page.waitForTimeout(300)
  await page.locator('.van-cell').nth(1).click()
  await page.waitForTimeout(300)
  await page.setInputFiles('input[type=file]', new URL('../public/icon-512.png', import.meta.url).pathname)
  await page.waitForSelector('.photo img', { timeout: 10000 }).catch(() => problems.push('photo not added'))
  await shot('report-photos')
  await page.getByRole('button', { name: /下一步|Next/ }).click()
  await page.getByRole('button', { name: /GPS/ }).click()
  await page.waitForTimeout(1500)
  await shot('report-location')
  await page.getByRole('button', { name: /下一步|Next/ }).click()
  await page.fill('textarea', '北门路井盖缺失，行人易踩空')
  await shot('report-description')
  await page.getByRole('button', { name: /提交上报|Submit report/ }).click()
  await page.waitForURL(`${BASE}/`)
  await page.waitForTimeout(3000)
  await shot('home-after-report')
}

console.log(problems.length ? problems.join('\n') : 'no console errors')
await browser.close()
