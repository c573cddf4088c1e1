import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import NL from '../../src/i18n/nl.js'
import { language, pickLanguage, setLanguage, t, tn } from '../../src/i18n.js'
import { BOILER_DOING, formatClock, formatMoney, formatTemp, SOURCE_WORDS, formatAge } from '../../src/format.js'
import { DEVICE_WORDS, PROBLEM_WORDS } from '../../src/problems.js'
import { WEEKDAYS, WEEKDAYS_SHORT, validateDays } from '../../src/schedule.js'

const SRC = join(import.meta.dirname, '../../src')

function sources(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name)
    return statSync(path).isDirectory() ? sources(path) : [path]
  }).filter((path) => /\.(js|vue)$/.test(path) && !path.includes('/i18n/'))
}

/** Every English string the page passes to t() or tn() literally. */
function literalKeys() {
  const keys = new Map()
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)*)'/g)) keys.set(match[1], file)
    for (const match of text.matchAll(/\btn\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'((?:[^'\\]|\\.)*)'/g)) {
      keys.set(match[1], file)
      keys.set(match[2], file)
    }
  }
  return keys
}

// Strings kept in tables and passed to t() by value.
const TABLE_KEYS = [
  ...WEEKDAYS, ...WEEKDAYS_SHORT, ...Object.values(SOURCE_WORDS), ...Object.values(BOILER_DOING), ...Object.values(DEVICE_WORDS),
  ...Object.values(PROBLEM_WORDS).flatMap((w) => [w.title, w.advice]),
  'Rooms', 'Schedules', 'History', 'Setup', 'Now', 'Schedule', 'Gas', 'By day', 'By week', 'By month', 'Home', 'Away', 'Holiday', 'Summer',
]

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

afterEach(() => setLanguage('en'))

describe('Dutch', () => {
  const keys = [...literalKeys().keys(), ...TABLE_KEYS]

  it('finds the strings of the page', () => expect(keys.length).toBeGreaterThan(200))

  it.each(keys)('has words for %j with the same placeholders', (key) => {
    expect(NL[key], `no Dutch for "${key}"`).toBeTypeOf('string')
    expect(placeholders(NL[key])).toEqual(placeholders(key))
  })

  it('has no words the page no longer uses', () => {
    const used = new Set(keys)
    expect(Object.keys(NL).filter((key) => !used.has(key))).toEqual([])
  })
})

describe('the language', () => {
  it('follows the browser, Dutch for any Dutch variant, else English', () => {
    expect(pickLanguage(['nl-NL'])).toBe('nl')
    expect(pickLanguage(['nl-BE', 'en'])).toBe('nl')
    expect(pickLanguage(['de-DE', 'nl'])).toBe('nl')
    expect(pickLanguage(['en-US'])).toBe('en')
    expect(pickLanguage(['fr-FR'])).toBe('en')
    expect(pickLanguage([])).toBe('en')
  })

  it('switches every string, number and time, and is remembered', () => {
    setLanguage('nl')
    expect(language.value).toBe('nl')
    expect(localStorage.getItem('heating.language')).toBe('nl')
    expect(document.documentElement.lang).toBe('nl')
    expect(t('Log out')).toBe('Uitloggen')
    expect(t('Delete {name}?', { name: 'Zolder' })).toBe('Zolder verwijderen?')
    expect(tn('{n} point', '{n} points', 1)).toBe('1 moment')
    expect(tn('{n} point', '{n} points', 3)).toBe('3 momenten')
    expect(formatTemp(19.44)).toBe('19,4\u00a0°C')
    expect(formatAge(7500)).toBe('2 u 5 min')
    // 24-hour clock in Dutch, whatever the browser's own habit.
    expect(formatClock('2026-01-12T21:05:00Z')).toMatch(/^(2[0-3]|[01]\d):05$/)
    expect(formatMoney(1.5, 'EUR')).toBe('€\u00a01,50')
    const [problem] = validateDays([[{ time: '06:30', temperature_c: 40 }], [], [], [], [], [], []])
    expect(problem.message).toBe('maandag, 06:30: de temperatuur moet tussen 5 en 30 °C liggen')
    setLanguage('en')
    expect(t('Log out')).toBe('Log out')
    expect(formatTemp(19.44)).toBe('19.4\u00a0°C')
    expect(formatMoney(1.5, 'EUR')).toBe('€1.50')
  })

  it('ignores a language it does not have', () => {
    setLanguage('xx')
    expect(language.value).toBe('en')
  })
})
