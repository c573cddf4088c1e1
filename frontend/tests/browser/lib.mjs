// Shared by the browser scripts: Debian's Chromium driven by playwright-core
// (no browser download), a clean profile per run, and failures that say what
// the page did not do.
import { join } from 'node:path'
import { chromium } from 'playwright-core'

export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1366, height: 900 }

export const env = {
  baseUrl: required('HEATING_PAGE_URL'),
  password: process.env.HEATING_TEST_PASSWORD || '',
  house: JSON.parse(process.env.HEATING_TEST_HOUSE || '{}'),
  screenshotDir: process.env.HEATING_SCREENSHOT_DIR || '',
}

function required(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`${name} is not set: run these scripts through tests/frontend/test_browser.py`)
    process.exit(2)
  }
  return value
}

export class PageCheckFailed extends Error {}

/** Throws a failure naming what was expected of the page. */
export function expect(condition, message) {
  if (!condition) throw new PageCheckFailed(message)
}

/**
 * Runs `body(browser)` with a headless Chromium and exits non-zero with a clear
 * message (and a screenshot of the page, when there is one) if it throws.
 */
export async function run(name, body) {
  const consoleErrors = []
  let lastPage = null
  let browser = null
  try {
    // playwright-core gives every launch a fresh, empty --user-data-dir of its own.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    })
    await body({
      browser,
      // options: locale (the browser's language, 'en-GB' unless given), colorScheme ('light' or 'dark').
      async newPage(viewport = PHONE, { locale = 'en-GB', colorScheme = 'light' } = {}) {
        const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale, colorScheme, timezoneId: env.house.tz || 'Europe/Amsterdam' })
        const page = await context.newPage()
        page.setDefaultTimeout(10000)
        page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`))
        lastPage = page
        return page
      },
    })
    if (consoleErrors.length) throw new PageCheckFailed(`the page threw errors:\n${consoleErrors.join('\n')}`)
    console.log(`${name}: ok`)
  } catch (error) {
    console.error(`${name}: FAILED: ${error.message}`)
    if (lastPage && env.screenshotDir) {
      const file = join(env.screenshotDir, `failure-${name}.png`)
      await lastPage.screenshot({ path: file, fullPage: true }).catch(() => {})
      console.error(`(screenshot of the page at the failure: ${file})`)
    }
    process.exitCode = 1
  } finally {
    await browser?.close()
  }
}

/** Opens a route of the page (a hash such as '#/setup'). */
export async function open(page, hash = '#/') {
  await page.goto(`${env.baseUrl}/${hash}`)
}

/** Logs in through the login view with the household password. */
export async function login(page) {
  await open(page, '#/login')
  await page.fill('[data-test=password]', env.password)
  await page.click('[data-test=login-submit]')
  await page.waitForSelector('[data-test=logout]')
}
