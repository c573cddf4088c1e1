// The house's open problems (GET /api/status `problems`, and each device's
// `problem`) in words a household understands: what is wrong, since when, and
// what to do about it. The codes never reach the page.
import { formatAge, formatClock, formatDateTime } from './format.js'
import { t } from './i18n.js'

/**
 * Per problem code: a short title and what a person can do. The server's
 * `message` says which device and room; these say what it means for the house.
 */
export const PROBLEM_WORDS = {
  controller_silent: {
    title: 'The heating controller has stopped',
    advice: 'Heating still follows each valve’s and the boiler’s own program. Restart the system (docker compose restart onoff) or check the Pi has power.',
  },
  boiler_unreachable: {
    title: 'The boiler does not answer',
    advice: 'The boiler keeps to its own clock program meanwhile. Check that the boiler and its internet box are switched on and connected; the system keeps trying.',
  },
  bridge_unreachable: {
    title: 'A valve bridge is offline',
    advice: 'The valves it serves fall back to their own programs within the hour. Check the bridge has power and Wi-Fi: unplug it for ten seconds and plug it back in.',
  },
  valve_unreachable: {
    title: 'A radiator valve does not answer',
    advice: 'The valve keeps its last setting and then follows its own program. Check its batteries and that it is within reach of its bridge; the system keeps trying.',
  },
  valve_unpaired: {
    title: 'A radiator valve must be paired',
    advice: 'Its firmware takes commands only from a paired bridge; meanwhile it follows its own program. Pair this valve: hold its wheel until it shows PAir, then enter the PIN shown on its display under Setup → Valves.',
  },
  adapter_stuck: {
    title: 'The Pi’s Bluetooth heard nothing',
    advice: 'The thermometer reader restarts its scan by itself; readings resume within minutes. If this comes back often, make sure no other program uses the Pi’s Bluetooth.',
  },
  thermometer_stale: {
    title: 'A thermometer is silent',
    advice: 'Until it is heard again, the room’s valve holds the room’s target with its own thermostat. Check the thermometer is in its room and replace its battery if the display is blank.',
  },
  battery_low: {
    title: 'Battery low',
    advice: 'Replace the battery soon: a thermometer takes one CR2032 coin cell, a radiator valve two AA batteries.',
  },
  meter_silent: {
    title: 'The gas meter is silent',
    advice: 'Heating is not affected; only the record of gas use has a gap. Check the meter reader’s cable in the smart meter’s P1 port and that the reader has power.',
  },
}

// What shows next to a device on a room card: a few words, the time follows.
export const DEVICE_WORDS = {
  valve_unreachable: 'not answering',
  valve_unpaired: 'not paired',
  boiler_unreachable: 'not answering',
  bridge_unreachable: 'its bridge is offline',
  thermometer_stale: 'silent',
  battery_low: 'battery low',
}

const SEVERITY_RANK = { error: 0, warning: 1 }

/** The open problems of a status; a status without the list (an older API) has none. */
export function problemsOf(status) {
  return Array.isArray(status?.problems) ? status.problems : []
}

/** The title of a problem; for a code this page does not know yet, the server's message. */
export function problemTitle(problem) {
  const title = PROBLEM_WORDS[problem?.code]?.title
  return title ? t(title) : problem?.message || t('Something in the house needs attention')
}

/** What to do about a problem; empty for a code this page does not know yet. */
export function problemAdvice(problem) {
  const advice = PROBLEM_WORDS[problem?.code]?.advice
  return advice ? t(advice) : ''
}

/**
 * Errors before warnings (anything else last); within each, the longest open
 * first, since that one has gone unnoticed longest. Does not change the list given.
 */
export function sortProblems(problems) {
  const rank = (p) => SEVERITY_RANK[p?.severity] ?? 2
  const started = (p) => {
    const t = new Date(p?.since).getTime()
    return Number.isNaN(t) ? Infinity : t
  }
  return [...(problems || [])].sort((a, b) => rank(a) - rank(b) || started(a) - started(b))
}

/** The clock time of `since`, with the date when it was not today: "07:12", "Mon 12 Jan 07:12". */
export function sinceClock(since, now = new Date()) {
  const date = new Date(since)
  if (!since || Number.isNaN(date.getTime())) return ''
  return date.toDateString() === now.toDateString() ? formatClock(since) : formatDateTime(since)
}

/** "since 07:12, 25 min ago"; empty when the start is unknown. */
export function sinceWords(since, now = new Date()) {
  const clock = sinceClock(since, now)
  if (!clock) return ''
  const ageS = (now.getTime() - new Date(since).getTime()) / 1000
  return t('since {clock}, {age} ago', { clock, age: formatAge(ageS) })
}

/** A device's own problem in a few words for its line on a room card: "not answering since 07:12". */
export function deviceProblemWords(problem, now = new Date()) {
  if (!problem) return ''
  const words = DEVICE_WORDS[problem.code]
  const clock = sinceClock(problem.since, now)
  if (!words) return problem.message || t('needs attention')
  return clock ? t('{words} since {clock}', { words: t(words), clock }) : t(words)
}

/** "checked 3 min ago" of a device's `checked_at`; empty when the API does not say (yet). */
export function checkedWords(checkedAt, now = new Date()) {
  if (checkedAt === undefined) return ''
  const date = new Date(checkedAt)
  if (checkedAt === null || Number.isNaN(date.getTime())) return t('not checked yet')
  return t('checked {age} ago', { age: formatAge((now.getTime() - date.getTime()) / 1000) })
}

/** Which problem this is across polls: the same device with the same trouble. */
export function problemKey(problem) {
  const subject = problem?.subject || {}
  return `${problem?.code}|${subject.kind ?? ''}|${subject.id ?? ''}`
}
