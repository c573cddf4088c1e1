// Edits the living room's schedule on the page: taps Tuesday's bar at noon to
// add a switch point, sets its temperature, deletes the 22:00 point, copies
// Tuesday to Wednesday and saves. The pytest side reads the schedule back
// from the API.
import { env, expect, login, open, run } from './lib.mjs'

await run('schedule', async ({ newPage }) => {
  const page = await newPage()
  await login(page)
  await open(page, `#/rooms/${env.house.living}/schedule`)
  const tuesday = page.locator('[data-test=day][data-weekday="1"]')
  await tuesday.locator('.day-name').click()
  const bar = tuesday.locator('[data-test=daybar]')
  const box = await bar.boundingBox()
  expect(box, 'Tuesday has no day bar')
  // Noon is the middle of the 24-hour bar.
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2)
  const noon = tuesday.locator('[data-test=point]').filter({ has: page.locator('[data-test=point-time][value="12:00"]') })
  expect(await noon.count() === 1, 'tapping the middle of the bar did not add a switch point at 12:00')
  await noon.locator('[data-test=point-temp]').fill('21.5')
  await noon.locator('[data-test=point-temp]').press('Tab')

  // Drag the 06:30 marker to 07:00 (a quarter hour is 1/96 of the bar).
  const handle = tuesday.locator('[data-test=handle][data-time="06:30"]')
  const hb = await handle.boundingBox()
  expect(hb, 'no marker for the 06:30 switch point on Tuesday')
  const targetX = box.x + box.width * (7 / 24)
  await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2)
  await page.mouse.down()
  await page.mouse.move(targetX - 10, hb.y + hb.height / 2, { steps: 4 })
  await page.mouse.move(targetX, hb.y + hb.height / 2, { steps: 2 })
  await page.mouse.up()
  expect(await tuesday.locator('[data-test=handle][data-time="07:00"]').count() === 1, 'dragging the 06:30 marker did not move it to 07:00')

  const late = tuesday.locator('[data-test=point]').filter({ has: page.locator('[data-test=point-time][value="22:00"]') })
  await late.locator('[data-test=point-delete]').click()

  await tuesday.locator('.copy summary').click()
  await tuesday.locator('label.chip', { hasText: 'Wed' }).click()
  expect(await tuesday.locator('[data-test=copy-to-2]').isChecked(), 'tapping Wed did not choose it as a day to copy to')
  await tuesday.locator('[data-test=copy-apply]').click()

  // A duplicate time is refused on the page before it reaches the API.
  await tuesday.locator('[data-test=point-add]').click()
  const added = tuesday.locator('[data-test=point]').last()
  await added.locator('[data-test=point-time]').fill('12:00')
  const actionError = await page.locator('[data-test=schedule-action-error]').textContent().catch(() => '')
  expect(/already has a switch point at 12:00/.test(actionError || ''), `moving a point onto 12:00 was not refused in words (saw: ${actionError})`)
  await added.locator('[data-test=point-delete]').click()

  await page.click('[data-test=schedule-save]')
  await page.waitForSelector('[data-test=schedule-saved]')
})
