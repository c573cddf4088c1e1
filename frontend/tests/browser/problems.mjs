// The house's open problems above every view, on a narrow phone (360 px):
// each view is loaded afresh and reports what its banner and room cards say;
// the pytest side compares that with GET /api/status. `env.house.problems` is
// how many problems the API reported just before (0: expect no banner at all).
import { join } from 'node:path'
import { env, expect, open, run } from './lib.mjs'

const NARROW = { width: 360, height: 760 }

const views = [
  ['rooms', '#/', '[data-test=room-card]'],
  ['room', `#/rooms/${env.house.bedroom}`, '[data-test=room-card]'],
  ['schedule', `#/rooms/${env.house.living}/schedule`, '[data-test=daybar]'],
  ['history', `#/rooms/${env.house.living}/history`, '.history-chart .legend'], // not the measured line: just after midnight the day has no readings yet
  ['setup', '#/setup', '[data-test=section-room]'],
  ['login', '#/login', '[data-test=password]'],
]

await run('problems', async ({ newPage }) => {
  const page = await newPage(NARROW)
  const expectBanner = env.house.problems > 0
  for (const [name, hash, ready] of views) {
    await open(page, hash)
    // A fresh load, so each view gets its banner by its own way (its status, or the app's poll).
    await page.reload()
    await page.waitForSelector(ready)
    if (expectBanner) {
      await page.waitForSelector('[data-test=problems-banner]', { timeout: 8000 }).catch(() => {
        throw new Error(`the ${name} view shows no problems banner although the API reports ${env.house.problems}`)
      })
    } else {
      // Longer than the app's first poll, so a banner that would come has come.
      await page.waitForTimeout(3000)
    }
    const banner = await page.evaluate(() => [...document.querySelectorAll('[data-test=house-problem]')].map((li) => ({
      code: li.dataset.code,
      severity: li.dataset.severity,
      title: li.querySelector('[data-test=problem-title]')?.textContent.trim() || '',
      message: li.querySelector('[data-test=problem-message]')?.textContent.trim() || '',
      since: li.querySelector('[data-test=problem-since]')?.textContent.trim() || '',
      advice: li.querySelector('[data-test=problem-advice]')?.textContent.trim() || '',
    })))
    console.log(`BANNER_${name}=${JSON.stringify(banner)}`)
    console.log(`BANNER_BOXES_${name}=${await page.locator('.problems-banner').count()}`)
    // At the top: above whatever the view shows.
    if (banner.length) {
      const [bannerBox, viewBox] = await Promise.all([page.locator('.problems-banner').boundingBox(), page.locator(ready).first().boundingBox()])
      expect(bannerBox.y < viewBox.y, `the problems banner is not above the ${name} view's content`)
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    console.log(`OVERFLOW_${name}=${overflow}`)
    if (overflow > 0) {
      // Name the culprits, so a failure says what to fix.
      const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${el.getBoundingClientRect().right}`))
      console.log(`TOO_WIDE_${name}=${wide.join('; ')}`)
    }
    if (name === 'rooms') {
      console.log(`ALERT=${(await page.locator('[role=alert][data-test=problems-alert]').textContent()).trim()}`)
      const card = page.locator(`[data-test=room-card][data-room-id="${env.house.bedroom}"]`)
      const thermometerProblems = await card.locator('[data-test=thermometer-problem]').allTextContents()
      console.log(`BEDROOM_THERMOMETER=${JSON.stringify(thermometerProblems.map((t) => t.trim()))}`)
      const living = page.locator(`[data-test=room-card][data-room-id="${env.house.living}"]`)
      console.log(`LIVING_VALVE_CHECKED=${JSON.stringify((await living.locator('[data-test=valve-checked]').allTextContents()).map((t) => t.trim()))}`)
    }
    if (env.screenshotDir) await page.screenshot({ path: join(env.screenshotDir, `narrow-problems-${name}.png`), fullPage: true })
  }
})
