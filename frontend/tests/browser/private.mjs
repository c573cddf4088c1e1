// A house whose API answers reads only with a login: the page asks for the
// password at once and shows the rooms after it.
import { env, expect, open, run } from './lib.mjs'

await run('private', async ({ newPage }) => {
  const page = await newPage()
  await open(page, '#/')
  await page.locator('.overlay [data-test=password]').waitFor()
  const words = await page.locator('.overlay').textContent()
  expect(/shows nothing without the household password/.test(words), `the login does not say why it is needed (saw: ${words})`)
  await page.fill('.overlay [data-test=password]', env.password)
  await page.click('.overlay [data-test=login-submit]')
  await page.waitForSelector('[data-test=room-card]')
  expect(await page.locator('.overlay').count() === 0, 'the login stayed open after logging in')
})
