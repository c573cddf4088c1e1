// Logging in: read-only without it, a wrong password is refused in words, the
// right one gives a session the API recognises.
import { env, expect, open, run } from './lib.mjs'

await run('login', async ({ newPage }) => {
  const page = await newPage()
  await open(page, '#/')
  await page.waitForSelector('[data-test=room-card]')
  expect(await page.locator('.readonly-note').count() === 1, 'without a login the page does not say it is read only')
  await open(page, '#/login')
  await page.fill('[data-test=password]', 'not-the-password')
  await page.click('[data-test=login-submit]')
  const error = await page.locator('[data-test=login-error]').textContent()
  expect(/wrong password/.test(error), `a wrong password was not refused in words (saw: ${error})`)
  await page.fill('[data-test=password]', env.password)
  await page.click('[data-test=login-submit]')
  await page.waitForSelector('[data-test=logout]')
  const session = await page.evaluate(async () => (await fetch('/api/session')).json())
  expect(session.authenticated === true, `after logging in the API does not see a session: ${JSON.stringify(session)}`)
  await page.click('[data-test=logout]')
  await page.waitForSelector('[data-test=login-link]')
})
