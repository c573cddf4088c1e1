// The page's language: Dutch or English. The English words are the keys, so a
// string without a translation still reads as English rather than as a code;
// tests/unit/i18n.test.js fails when a string the page uses has no Dutch.
// The browser's language picks the first choice; a choice made on the page is
// kept in this browser.
import { ref } from 'vue'
import NL from './i18n/nl.js'

export const LANGUAGES = [
  { code: 'nl', name: 'Nederlands' },
  { code: 'en', name: 'English' },
]
const DICTIONARIES = { nl: NL, en: {} }
// Intl locales for dates and numbers: both give 24-hour clocks, "19,4" in Dutch.
const INTL = { nl: 'nl-NL', en: 'en-GB' }
const STORAGE_KEY = 'heating.language'

function stored() {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) || ''
  } catch {
    return ''
  }
}

/** The language for a list of browser languages ("nl-BE", "en-US", ...): Dutch or English. */
export function pickLanguage(preferred = []) {
  for (const tag of preferred) {
    const code = String(tag || '').toLowerCase().split('-')[0]
    if (DICTIONARIES[code]) return code
  }
  return 'en'
}

function initial() {
  const chosen = stored()
  if (DICTIONARIES[chosen]) return chosen
  const nav = globalThis.navigator
  return pickLanguage(nav?.languages?.length ? nav.languages : [nav?.language])
}

export const language = ref(initial())

function applyToDocument() {
  if (globalThis.document?.documentElement) globalThis.document.documentElement.lang = language.value
}
applyToDocument()

/** Switches the page's language and remembers the choice in this browser. */
export function setLanguage(code) {
  if (!DICTIONARIES[code]) return
  language.value = code
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, code)
  } catch {
    // A browser that keeps nothing still switches for this visit.
  }
  applyToDocument()
}

/** The Intl locale of the page's language, for dates and numbers. */
export function intlLocale() {
  return INTL[language.value] || 'en-GB'
}

/**
 * The words of `text` in the page's language, with `{name}` filled from
 * `params`. Reading `language` here makes every template that calls it follow
 * a switch.
 */
export function t(text, params) {
  // "badge|Heating": a context before the bar tells apart the same English in two roles.
  const words = DICTIONARIES[language.value]?.[text] ?? text.slice(text.indexOf('|') + 1)
  if (!params) return words
  return words.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined ? whole : String(params[name])))
}

/** The singular or plural form for `count`, both given in English: tn('{n} point', '{n} points', 3). */
export function tn(one, many, count, params = {}) {
  return t(count === 1 ? one : many, { n: count, ...params })
}
