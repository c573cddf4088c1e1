// History draws the target as the control loop recorded it (solid), the
// schedule's plan only before the first record and ahead of now (dashed).
import { DESKTOP, env, open, run } from './lib.mjs'

await run('history', async ({ newPage }) => {
  const page = await newPage(DESKTOP)
  await open(page, `#/rooms/${env.house.living}/history`)
  // Attached, not visible: just after midnight the day holds only a flat piece of the record (a
  // line with no height, which the browser counts as not visible).
  await page.waitForSelector('[data-test=recorded-target-line]', { state: 'attached' })
  const pieces = await page.getAttribute('[data-test=recorded-target-line]', 'd')
  console.log(`RECORDED_PIECES=${(pieces.match(/M/g) || []).length}`)
  console.log(`LEGEND=${JSON.stringify(await page.$$eval('.history-chart .legend span', (s) => s.map((e) => e.textContent.trim())))}`)
})
