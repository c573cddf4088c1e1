// Phone-sized (390×844) and desktop-sized (1366×900) pictures of every view,
// for a person to look at.
import { join } from 'node:path'
import { DESKTOP, PHONE, env, expect, login, open, run } from './lib.mjs'

const views = [
  ['login', '#/login', '[data-test=password]'],
  ['rooms', '#/', '[data-test=room-card]'],
  ['room', `#/rooms/${env.house.living}`, '[data-test=override-panel]'],
  ['schedule', `#/rooms/${env.house.living}/schedule`, '[data-test=daybar]'],
  ['history-day', `#/rooms/${env.house.living}/history`, '[data-test=temp-line]'],
  ['setup', '#/setup', '[data-test=section-room]'],
]

await run('screenshots', async ({ newPage }) => {
  expect(env.screenshotDir, 'HEATING_SCREENSHOT_DIR is not set')
  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const page = await newPage(viewport)
    await open(page, '#/')
    await page.waitForSelector('[data-test=room-card]')
    await page.screenshot({ path: join(env.screenshotDir, `${size}-rooms-readonly.png`), fullPage: true })
    for (const [name, hash, ready] of views) {
      if (name === 'rooms') await login(page)
      await open(page, hash)
      await page.waitForSelector(ready)
      await page.waitForTimeout(150)
      await page.screenshot({ path: join(env.screenshotDir, `${size}-${name}.png`), fullPage: true })
    }
    await open(page, `#/rooms/${env.house.living}/history`)
    await page.click('[data-test=range-week]')
    await page.waitForSelector('[data-test=temp-line]')
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(env.screenshotDir, `${size}-history-week.png`), fullPage: true })
    await open(page, '#/')
    await page.click('[data-test=mode-edit]')
    await page.check('[data-test=mode-holiday]')
    await page.screenshot({ path: join(env.screenshotDir, `${size}-mode.png`), fullPage: true })
  }
})
