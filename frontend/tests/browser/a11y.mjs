// Accessibility: axe-core (pinned in package.json) over every view, on a
// phone and a desktop, light and dark, Dutch and English; and the page by
// keyboard alone (Tab reaches the navigation, the language switch and the
// room cards, Enter follows a link). Reports the serious and critical
// violations for the pytest side, which allows none.
import { createRequire } from 'node:module'
import { DESKTOP, PHONE, env, login, open, run } from './lib.mjs'

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const views = [
  ['rooms', '#/', '[data-test=room-card]'],
  ['room', `#/rooms/${env.house.living}`, '[data-test=override-panel]'],
  ['schedule', `#/rooms/${env.house.living}/schedule`, '[data-test=daybar]'],
  // The chart, not its measured line: just after midnight the day has no readings yet.
  ['history', `#/rooms/${env.house.living}/history`, '.history-chart .legend'],
  ['gas', '#/gas', '[data-test=gas-bar]'],
  ['setup', '#/setup', '[data-test=section-room]'],
  ['login', '#/login', '[data-test=password]'],
]

await run('a11y', async ({ newPage }) => {
  const found = []
  for (const [size, viewport, scheme, locale] of [['phone', PHONE, 'light', 'nl-NL'], ['desktop', DESKTOP, 'dark', 'en-GB'],
    ['phone', PHONE, 'dark', 'en-GB'], ['desktop', DESKTOP, 'light', 'nl-NL']]) {
    const page = await newPage(viewport, { colorScheme: scheme, locale })
    await login(page)
    for (const [name, hash, ready] of views) {
      await open(page, hash)
      await page.waitForSelector(ready)
      await page.waitForTimeout(200)
      await page.addScriptTag({ path: AXE })
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ['violations'] })
        return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1, 2).join('')}`) }))
      })
      for (const v of violations) found.push({ view: `${size}-${scheme}-${locale}-${name}`, ...v })
    }
    await page.context().close()
  }
  console.log(`VIOLATIONS=${JSON.stringify(found)}`)

  // By keyboard alone: from the top of the page, Tab through to a room card and open it with Enter.
  const page = await newPage(DESKTOP)
  await open(page, '#/')
  await page.waitForSelector('[data-test=room-card]')
  const reached = []
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab')
    const what = await page.evaluate(() => {
      const el = document.activeElement
      const outline = getComputedStyle(el).outlineStyle
      return { tag: el.tagName.toLowerCase(), text: (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40),
        href: el.getAttribute('href'), test: el.dataset?.test || '', visible: outline !== 'none' || el.matches(':focus-visible') }
    })
    reached.push(what)
    if (what.href === `#/rooms/${env.house.living}`) break
  }
  console.log(`TAB_ORDER=${JSON.stringify(reached.map((r) => r.test || r.href || r.text))}`)
  console.log(`FOCUS_VISIBLE=${reached.every((r) => r.visible)}`)
  await page.keyboard.press('Enter')
  await page.waitForSelector('[data-test=override-panel]')
  console.log(`ENTER_OPENED=${await page.evaluate(() => location.hash)}`)
})
