// Sets an override on the living room and changes the house mode from the
// page; the pytest side checks /api/status changed accordingly.
import { env, expect, login, open, run } from './lib.mjs'

await run('override', async ({ newPage }) => {
  const page = await newPage()
  await login(page)
  await open(page, `#/rooms/${env.house.living}`)
  await page.fill('[data-test=override-temp]', '23.5')
  await page.check('[data-test=until-next]')
  await page.click('[data-test=override-save]')
  await page.waitForSelector('[data-test=override-active]')
  const shown = await page.locator('[data-test=override-active]').textContent()
  expect(/23\.5\s°C/.test(shown), `the page does not show the new override (saw: ${shown})`)
  const target = await page.locator('[data-test=room-target]').first().textContent()
  expect(/23\.5\s°C/.test(target), `the room's target on the page did not become 23.5 °C (saw: ${target})`)

  await open(page, '#/')
  await page.click('[data-test=mode-edit]')
  await page.check('[data-test=mode-away]')
  await page.click('[data-test=mode-save]')
  await page.waitForFunction(() => document.querySelector('[data-test=mode-summary]')?.textContent.startsWith('Away'))
})
