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
  // The setup lists this browser among the signed-in devices.
  await open(page, '#/setup')
  const own = page.locator('[data-test=session-row]', { hasText: 'this device' })
  await own.waitFor()
  expect(await own.count() === 1, 'the setup does not list this browser as signed in')
  // Logging out ends the session on the server: the old cookie writes nothing any more.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'heating_session')
  expect(cookie && cookie.httpOnly, 'the session cookie is missing or readable by scripts')
  await page.click('[data-test=logout]')
  await page.waitForSelector('[data-test=login-link]')
  await page.context().addCookies([cookie])
  const replayed = await page.evaluate(async () => (await fetch('/api/rooms', { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Replayed' }) })).status)
  expect(replayed === 401, `a copied cookie still writes after logout (status ${replayed})`)
})
