// The page as an app: in the browser's language (Dutch for nl-NL, 24-hour
// times, decimal commas), switchable and remembered; dark with a dark system;
// installable (manifest, icons, service worker); the last status readable
// offline, and a change tried offline failing then and never sent later.
import { DESKTOP, PHONE, env, expect, login, open, run } from './lib.mjs'

const say = (key, value) => console.log(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)

async function navWords(page) {
  return page.$$eval('.mainnav a', (links) => links.map((a) => a.textContent.trim()))
}

// Relative luminance of a CSS colour "rgb(r, g, b)", 0 (black) to 1 (white).
function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => {
    const c = Number(v) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

async function colours(page) {
  return page.evaluate(() => ({
    background: getComputedStyle(document.body).backgroundColor === 'rgba(0, 0, 0, 0)'
      ? getComputedStyle(document.documentElement).backgroundColor : getComputedStyle(document.body).backgroundColor,
    card: getComputedStyle(document.querySelector('.card')).backgroundColor,
    ink: getComputedStyle(document.querySelector('.card')).color,
  }))
}

await run('app', async ({ newPage }) => {
  // A Dutch phone in dark mode.
  const page = await newPage(PHONE, { locale: 'nl-NL', colorScheme: 'dark' })
  await open(page, '#/')
  await page.waitForSelector('[data-test=room-card]')
  expect(await page.getAttribute('html', 'lang') === 'nl', 'the page does not say it is Dutch (html lang)')
  const dutchNav = await navWords(page)
  say('NAV_NL', dutchNav)
  expect(dutchNav[0] === 'Kamers', `a Dutch browser does not get Dutch navigation: ${dutchNav}`)
  const temp = (await page.textContent('[data-room-id="' + env.house.living + '"] [data-test=room-temp]')).trim()
  say('TEMP_NL', temp)
  expect(/^\d+,\d\s°C$/.test(temp), `the living room's temperature is not written the Dutch way: ${temp}`)
  const updated = (await page.textContent('.small-print')).trim()
  say('UPDATED_NL', updated)
  expect(/^Bijgewerkt om ([01]\d|2[0-3]):[0-5]\d;/.test(updated), `not a Dutch 24-hour time: ${updated}`)
  const dark = await colours(page)
  say('DARK', dark)
  expect(luminance(dark.background) < 0.05 && luminance(dark.card) < 0.08, `a dark system gets a light page: ${JSON.stringify(dark)}`)
  expect(luminance(dark.ink) > 0.6, `text on a dark page is not light: ${dark.ink}`)

  // Switched to English on the page, and still English after a reload.
  await page.selectOption('[data-test=language]', 'en')
  await page.waitForFunction(() => document.querySelector('.mainnav a').textContent.trim() === 'Rooms')
  await page.reload()
  await page.waitForSelector('[data-test=room-card]')
  const afterReload = await navWords(page)
  say('NAV_SWITCHED', afterReload)
  expect(afterReload[0] === 'Rooms' && await page.getAttribute('html', 'lang') === 'en', `the choice of English was not kept: ${afterReload}`)
  const englishTemp = (await page.textContent('[data-room-id="' + env.house.living + '"] [data-test=room-temp]')).trim()
  expect(/^\d+\.\d\s°C$/.test(englishTemp), `English temperature: ${englishTemp}`)
  await page.context().close()

  // An English desktop browser in light mode: English, a 24-hour clock, a light page.
  const desktop = await newPage(DESKTOP, { locale: 'en-US', colorScheme: 'light' })
  await open(desktop, '#/')
  await desktop.waitForSelector('[data-test=room-card]')
  const englishNav = await navWords(desktop)
  say('NAV_EN', englishNav)
  expect(englishNav[0] === 'Rooms', `an English browser does not get English: ${englishNav}`)
  const updatedEn = (await desktop.textContent('.small-print')).trim()
  expect(/^Updated at ([01]\d|2[0-3]):[0-5]\d;/.test(updatedEn) && !/[AP]M/i.test(updatedEn), `not a 24-hour time: ${updatedEn}`)
  const light = await colours(desktop)
  expect(luminance(light.background) > 0.8, `a light system gets a dark page: ${JSON.stringify(light)}`)

  // Installable: a manifest with PNG icons of 192 and 512 pixels that load.
  const manifestHref = await desktop.getAttribute('link[rel=manifest]', 'href')
  expect(manifestHref, 'the page links no web app manifest')
  const manifest = await desktop.evaluate(async (href) => {
    const answer = await fetch(href)
    const body = await answer.json()
    const base = new URL(href, location.href)
    const icons = await Promise.all(body.icons.map(async (icon) => {
      const image = await fetch(new URL(icon.src, base))
      return { ...icon, status: image.status, type_served: image.headers.get('content-type') }
    }))
    return { ...body, icons }
  }, manifestHref)
  say('MANIFEST', manifest)
  expect(manifest.display === 'standalone' && manifest.start_url && manifest.name, 'the manifest lacks name, start_url or display')
  for (const size of ['192x192', '512x512']) {
    const icon = manifest.icons.find((i) => i.sizes === size && i.type === 'image/png')
    expect(icon && icon.status === 200 && icon.type_served.startsWith('image/png'), `no ${size} PNG icon that loads`)
  }

  // The service worker is registered and controls the page.
  const worker = await desktop.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready
    return { scope: registration.scope, state: registration.active?.state }
  })
  say('SERVICE_WORKER', worker)
  expect(worker.state === 'activated', `no active service worker: ${JSON.stringify(worker)}`)
  await login(desktop)
  await open(desktop, '#/')
  await desktop.waitForFunction(() => navigator.serviceWorker.controller !== null)
  // One status through the worker, so it has a copy.
  await desktop.reload()
  await desktop.waitForSelector('[data-test=room-card]')
  const onlineRooms = await desktop.$$eval('[data-test=room-card] h2', (h) => h.map((e) => e.textContent.trim()))

  // Offline: the page still opens and shows the house as it was, and says so.
  await desktop.context().setOffline(true)
  await desktop.reload()
  await desktop.waitForSelector('[data-test=room-card]')
  await desktop.waitForSelector('[data-test=offline-note]')
  const offlineRooms = await desktop.$$eval('[data-test=room-card] h2', (h) => h.map((e) => e.textContent.trim()))
  say('OFFLINE_ROOMS', offlineRooms)
  say('OFFLINE_NOTE', (await desktop.textContent('[data-test=offline-note]')).trim())
  expect(JSON.stringify(offlineRooms) === JSON.stringify(onlineRooms), `offline the page shows other rooms: ${offlineRooms}`)

  // A change tried offline fails at once, in words.
  await open(desktop, `#/rooms/${env.house.living}`)
  await desktop.waitForSelector('[data-test=override-panel]')
  await desktop.fill('[data-test=override-temp]', '24.5')
  await desktop.click('[data-test=override-save]')
  await desktop.waitForSelector('[data-test=override-error]')
  say('OFFLINE_WRITE', (await desktop.textContent('[data-test=override-error]')).trim())

  // Back online: nothing tried offline is sent, however long the page stays open.
  await desktop.context().setOffline(false)
  await desktop.reload()
  await desktop.waitForSelector('[data-test=override-panel]')
  await desktop.waitForTimeout(3000)
  expect(!(await desktop.$('[data-test=offline-note]')), 'the offline note stays once the controller answers again')
  console.log('OFFLINE_DONE=1')
})
