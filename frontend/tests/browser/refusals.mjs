// Refusals the page cannot foresee are shown in the API's words:
// an override "until the next switch point" in a room without a schedule
// (422 from the API), and a schedule saved after the session ended (401),
// which opens the login; after logging in the same edit saves.
import { join } from 'node:path'
import { env, expect, login, open, run } from './lib.mjs'

await run('refusals', async ({ newPage }) => {
  const page = await newPage()
  await login(page)
  await open(page, `#/rooms/${env.house.study}`)
  await page.check('[data-test=until-next]')
  await page.click('[data-test=override-save]')
  const error = page.locator('[data-test=override-error]')
  await error.waitFor()
  console.log(`OVERRIDE_ERROR=${(await error.textContent()).trim()}`)

  await open(page, `#/rooms/${env.house.study}/schedule`)
  const monday = page.locator('[data-test=day][data-weekday="0"]')
  await monday.locator('[data-test=point-add]').click()
  await page.context().clearCookies()
  await page.click('[data-test=schedule-save]')
  const saveError = page.locator('[data-test=schedule-save-error]')
  await saveError.waitFor()
  console.log(`SAVE_ERROR=${(await saveError.textContent()).trim()}`)
  expect(await page.locator('.overlay [data-test=password]').count() === 1, 'a refused save for lack of login did not offer the login')
  if (env.screenshotDir) await page.screenshot({ path: join(env.screenshotDir, 'phone-refused-save.png') })
  await page.fill('.overlay [data-test=password]', env.password)
  await page.click('.overlay [data-test=login-submit]')
  await page.locator('.overlay').waitFor({ state: 'detached' })
  await page.click('[data-test=schedule-save]')
  await page.waitForSelector('[data-test=schedule-saved]')

  await open(page, '#/setup')
  const living = page.locator('[data-test=room-row]').filter({ hasText: 'Living room' })
  await living.locator('[data-test=entity-delete]').click()
  await living.locator('[data-test=entity-delete-confirm]').click()
  const deleteError = living.locator('[data-test=entity-error]')
  await deleteError.waitFor()
  console.log(`DELETE_ERROR=${(await deleteError.textContent()).trim()}`)
})
