// The house at a glance and the gas view: the overview's gas today and this
// month, the boiler line; the gas chart by day, week and month with a tooltip
// on hover and on keyboard focus. Reports what the page shows for the pytest
// side to compare with GET /api/gas.
import { join } from 'node:path'
import { DESKTOP, PHONE, env, expect, open, run } from './lib.mjs'

const say = (key, value) => console.log(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
// innerText keeps the line breaks between blocks; a no-break space stays one.
const text = async (page, selector) => (await page.innerText(selector)).replace(/[ \t\r\n]+/g, ' ').trim()

await run('gas', async ({ newPage }) => {
  const page = await newPage(PHONE)
  await open(page, '#/')
  await page.waitForSelector('[data-test=overview] [data-test=gas-today] strong')
  say('GAS_TODAY', await text(page, '[data-test=gas-today]'))
  say('GAS_MONTH', await text(page, '[data-test=gas-month]'))
  say('GAS_LIVING_MONTH', await text(page, `[data-test=gas-summary-rooms] tr[data-room-id="${env.house.living}"] td:last-child`))
  say('BOILER', await text(page, '[data-test=boiler]'))
  say('OUTDOOR', await text(page, '[data-test=outdoor-temp]'))
  say('OUTDOOR_RANGE', await text(page, '[data-test=weather] .weather-now + p'))
  say('VALVE', await text(page, `[data-room-id="${env.house.living}"] .devices dd:last-of-type`))

  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const view = size === 'phone' ? page : await newPage(viewport)
    await open(view, '#/gas')
    await view.waitForSelector('[data-test=gas-bar]')
    const bars = await view.$$('[data-test=gas-bar]')
    say(`BARS_DAY_${size}`, String(bars.length))
    // Hover today's bar (the last): the tooltip names the living room and the total.
    await bars[bars.length - 1].hover()
    await view.waitForSelector('[data-test=gas-tooltip]')
    say(`TOOLTIP_HOVER_${size}`, await text(view, '[data-test=gas-tooltip]'))
    if (env.screenshotDir) await view.screenshot({ path: join(env.screenshotDir, `${size}-gas-day.png`), fullPage: true })
    // By keyboard: Tab reaches the bars, focus shows the tooltip of that bar.
    await view.mouse.move(0, 0)
    await bars[0].focus()
    await view.waitForSelector('[data-test=gas-tooltip]')
    say(`TOOLTIP_FOCUS_${size}`, await text(view, '[data-test=gas-tooltip] strong'))
    say(`TOTAL_TABLE_${size}`, await text(view, '[data-test=gas-table] tfoot'))
    for (const range of ['week', 'month']) {
      await view.click(`[data-test=gas-range-${range}]`)
      await view.waitForFunction((n) => document.querySelectorAll('[data-test=gas-bar]').length === n, range === 'week' ? 8 : 12)
      if (env.screenshotDir) await view.screenshot({ path: join(env.screenshotDir, `${size}-gas-${range}.png`), fullPage: true })
    }
    const overflow = await view.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow <= 0, `the gas view scrolls sideways on a ${size} by ${overflow} px`)
  }
})
