// Phone-sized (390×844) and desktop-sized (1366×900) pictures of every view,
// light and dark, in Dutch and in English, for a person to look at. Named
// {size}-{view}.png (light, English) and {size}-{scheme}-{language}-{view}.png.
import { join } from 'node:path'
import { DESKTOP, PHONE, env, expect, login, open, run } from './lib.mjs'

const views = [
  ['login', '#/login', '[data-test=password]'],
  ['rooms', '#/', '[data-test=room-card]'],
  ['room', `#/rooms/${env.house.living}`, '[data-test=override-panel]'],
  ['schedule', `#/rooms/${env.house.living}/schedule`, '[data-test=daybar]'],
  ['history-day', `#/rooms/${env.house.living}/history`, '.history-chart .legend'], // not the measured line: just after midnight the day has no readings yet
  ['setup', '#/setup', '[data-test=section-room]'],
  ['gas', '#/gas', '[data-test=gas-bar]'],
]

await run('screenshots', async ({ newPage }) => {
  expect(env.screenshotDir, 'HEATING_SCREENSHOT_DIR is not set')
  const variants = []
  for (const size of ['phone', 'desktop']) {
    for (const scheme of ['light', 'dark']) {
      for (const language of ['en', 'nl']) variants.push({ size, scheme, language })
    }
  }
  for (const { size, scheme, language } of variants) {
    const viewport = size === 'phone' ? PHONE : DESKTOP
    const page = await newPage(viewport, { locale: language === 'nl' ? 'nl-NL' : 'en-GB', colorScheme: scheme })
    const prefix = scheme === 'light' && language === 'en' ? size : `${size}-${scheme}-${language}`
    const shot = (name) => page.screenshot({ path: join(env.screenshotDir, `${prefix}-${name}.png`), fullPage: true })
    await open(page, '#/')
    await page.waitForSelector('[data-test=room-card]')
    await shot('rooms-readonly')
    for (const [name, hash, ready] of views) {
      if (name === 'rooms') await login(page)
      await open(page, hash)
      await page.waitForSelector(ready)
      await page.waitForTimeout(150)
      await shot(name)
    }
    await open(page, `#/rooms/${env.house.living}/history`)
    await page.click('[data-test=range-week]')
    await page.waitForSelector('.history-chart .legend')
    await page.waitForTimeout(300)
    await shot('history-week')
    await open(page, '#/')
    await page.click('[data-test=mode-edit]')
    await page.check('[data-test=mode-holiday]')
    await shot('mode')
    await page.context().close()
  }
})
