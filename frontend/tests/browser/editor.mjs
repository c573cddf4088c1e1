// The schedule editor's fixes: leaving with unsaved edits through the page's
// own navigation asks first (and staying keeps them); the saved message is in
// view after saving; short segments keep a temperature label; read-only day
// bars have no drag handles; times are typed on a 24-hour clock even in a US
// English browser.
import { join } from 'node:path'
import { PHONE, env, expect, login, open, run } from './lib.mjs'

const say = (key, value) => console.log(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)

await run('editor', async ({ newPage }) => {
  const page = await newPage(PHONE, { locale: 'en-US' })
  const dialogs = []
  let answer = 'dismiss'
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message())
    await (answer === 'accept' ? dialog.accept() : dialog.dismiss())
  })
  await login(page)
  await open(page, `#/rooms/${env.house.living}/schedule`)
  const monday = page.locator('[data-test=day][data-weekday="0"]')
  await monday.locator('[data-test=point]').first().waitFor()

  // 24-hour times in a browser that would show AM/PM in its own time fields.
  const times = await monday.locator('[data-test=point-time]').evaluateAll((inputs) => inputs.map((i) => `${i.type}:${i.value}`))
  say('TIMES', times)
  expect(times.every((t) => /^text:([01]\d|2[0-3]):[0-5]\d$/.test(t)), `times are not 24-hour text fields: ${times}`)

  // An edit, then the page's own navigation: asked, stayed, edits kept.
  await monday.locator('[data-test=point-add]').click()
  const pointsBefore = await monday.locator('[data-test=point]').count()
  await page.click('.mainnav a[href="#/"]')
  await page.waitForTimeout(300)
  say('DIALOG', dialogs[0] || '')
  say('STAYED', await page.evaluate(() => location.hash))
  expect(await monday.locator('[data-test=point]').count() === pointsBefore, 'staying after the question lost the edit')
  // Asked again and confirmed: the page leaves.
  answer = 'accept'
  await page.click('.mainnav a[href="#/"]')
  await page.waitForSelector('[data-test=room-card]')
  say('LEFT', await page.evaluate(() => location.hash))
  say('DIALOGS', String(dialogs.length))

  // Without edits nothing is asked.
  await open(page, `#/rooms/${env.house.living}/schedule`)
  await monday.locator('[data-test=point]').first().waitFor()
  await page.click('.mainnav a[href="#/setup"]')
  await page.waitForSelector('[data-test=section-room]')
  expect(dialogs.length === 2, 'leaving an unchanged schedule asked a question')

  // Saved: the message is on the screen, not below it.
  await open(page, `#/rooms/${env.house.study}/schedule`)
  const studyMonday = page.locator('[data-test=day][data-weekday="0"]')
  await studyMonday.locator('[data-test=point-add]').click()
  await page.click('[data-test=schedule-save]')
  const saved = page.locator('[data-test=schedule-saved]')
  await saved.waitFor()
  const box = await saved.boundingBox()
  say('SAVED_IN_VIEW', String(box.y >= 0 && box.y + box.height <= PHONE.height))
  if (env.screenshotDir) await page.screenshot({ path: join(env.screenshotDir, 'phone-schedule-saved.png') })

  // Short segments keep their labels: the bedroom's day has a one-hour and a two-hour segment.
  await open(page, `#/rooms/${env.house.bedroom}/schedule`)
  const bedroomMonday = page.locator('[data-test=day][data-weekday="0"] [data-test=daybar]')
  await bedroomMonday.waitFor()
  say('LABELS', await bedroomMonday.locator('[data-test=segment-label]').allTextContents())

  // A read-only bar (today's, under the room) has marks, not handles.
  await open(page, `#/rooms/${env.house.living}`)
  const today = page.locator('[data-test=today] [data-test=daybar]')
  await today.waitFor()
  say('READONLY_HANDLES', String(await today.locator('[data-test=handle]').count()))
  say('READONLY_MARKS', String(await today.locator('.mark').count()))
})
