// Adds a thermometer that was heard but not configured with one click, and a
// bridge through the form, and edits a room; the pytest side checks all
// three in the API.
import { env, expect, login, open, run } from './lib.mjs'

await run('setup', async ({ newPage }) => {
  const page = await newPage()
  await login(page)
  await open(page, '#/setup')
  const heard = page.locator(`[data-test=heard-row][data-mac="${env.house.heard_mac}"]`)
  await heard.waitFor()
  await heard.locator('select').selectOption({ label: 'Study' })
  await heard.locator('[data-test=heard-add]').click()
  await heard.waitFor({ state: 'detached' })
  expect(await page.locator('[data-test=thermometer-row]').filter({ hasText: env.house.heard_mac }).count() === 1,
    'the heard thermometer is not listed among the thermometers after adding it')

  const bridges = page.locator('[data-test=section-bridge]')
  await bridges.locator('[data-test=add-bridge]').click()
  const form = bridges.locator('[data-test=new-bridge]')
  await form.locator('[data-field=name]').fill('Attic ESP32')
  await form.locator('[data-field=base_url]').fill('not a url')
  await form.locator('[data-test=entity-add-save]').click()
  const refused = await form.locator('[data-test=entity-add-error]').textContent()
  expect(/base_url/.test(refused), `a bad bridge address was not refused in words (saw: ${refused})`)
  await form.locator('[data-field=base_url]').fill('http://127.0.0.1:8099')
  await form.locator('[data-field=token]').fill('attic-bridge-token-from-its-console')
  await form.locator('[data-test=entity-add-save]').click()
  await bridges.locator('[data-test=bridge-row]').filter({ hasText: 'Attic ESP32' }).waitFor()

  const bedroom = page.locator(`[data-test=room-row][data-id="${env.house.bedroom}"]`)
  await bedroom.locator('[data-test=entity-edit]').click()
  await bedroom.locator('[data-field=name]').fill('Main bedroom')
  await bedroom.locator('[data-field=default_temp_c]').fill('18.5')
  await bedroom.locator('[data-field=control]').selectOption('manual')
  await bedroom.locator('[data-test=entity-save]').click()
  await page.locator('[data-test=room-row]').filter({ hasText: 'Main bedroom' }).locator('[data-test=entity-edit]').waitFor()
})
