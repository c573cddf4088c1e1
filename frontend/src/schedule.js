// The weekly schedule as the page edits it: seven days of switch points, each
// from a wall-clock time on the target is a temperature until the next one
// (the week wraps round). The rules are the API's (docs/api.md, "Schedule"),
// checked here too so a person sees a mistake before pressing Save.
import { t } from './i18n.js'

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
export const WEEKDAYS_SHORT = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
export const MAX_SWITCH_POINTS_PER_DAY = 12

/** A weekday's name (0 is Monday) in the page's language. */
export const weekdayName = (weekday) => t(WEEKDAYS[weekday])
/** A weekday's short name in the page's language. */
export const weekdayShort = (weekday) => t(WEEKDAYS_SHORT[weekday])
export const MIN_TEMP_C = 5
export const MAX_TEMP_C = 30
export const TEMP_STEP_C = 0.5
export const MINUTES_PER_DAY = 24 * 60

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/

/** Minutes since midnight of an "HH:MM" time, or null when it is not one. */
export function parseTime(time) {
  const match = TIME_RE.exec(String(time ?? ''))
  if (!match) return null
  return Number(match[1]) * 60 + Number(match[2])
}

/** "HH:MM" of minutes since midnight (wrapped into one day). */
export function formatTime(minutes) {
  const wrapped = ((Math.round(minutes) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY
  const hours = Math.floor(wrapped / 60)
  const mins = wrapped % 60
  return `${String(hours).padStart(2, '0')}:${String(mins).padStart(2, '0')}`
}

/**
 * A time as typed ("7:30", "0730", "730", "7.30", "7") as "HH:MM", or the
 * text unchanged when it is not a time (validation then says why). The page
 * uses text fields for times: a browser's own time field shows AM/PM in some
 * languages, and the house runs on a 24-hour clock.
 */
export function normalizeTime(text) {
  const raw = String(text ?? '').trim()
  const match = /^(\d{1,2})(?:[:.h ]?(\d{2}))?$/.exec(raw)
  if (!match) return raw
  const hours = Number(match[1])
  const minutes = match[2] === undefined ? 0 : Number(match[2])
  if (hours > 23 || minutes > 59) return raw
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`
}

/** Minutes rounded to the nearest step, kept inside the day (never 24:00). */
export function snapMinutes(minutes, stepMin = 15) {
  const snapped = Math.round(minutes / stepMin) * stepMin
  return Math.min(Math.max(snapped, 0), MINUTES_PER_DAY - stepMin)
}

/** Why a temperature is not acceptable, or null when it is. */
export function temperatureProblem(temperatureC) {
  if (temperatureC === '' || temperatureC === null || temperatureC === undefined) return t('enter a temperature')
  const value = Number(temperatureC)
  if (!Number.isFinite(value)) return t('enter a temperature in °C')
  if (value < MIN_TEMP_C || value > MAX_TEMP_C) return t('must be between {min} and {max} °C', { min: MIN_TEMP_C, max: MAX_TEMP_C })
  if (Math.abs(value * 2 - Math.round(value * 2)) > 1e-9) return t('must be in steps of 0.5 °C')
  return null
}

/** Why a time is not acceptable, or null when it is. */
export function timeProblem(time) {
  return parseTime(time) === null ? t('must be a time HH:MM, 00:00 to 23:59') : null
}

/** Seven arrays (Monday first) of {time, temperature_c}, each sorted by time, from the API's flat list. */
export function daysFromApi(switchPoints) {
  const days = WEEKDAYS.map(() => [])
  for (const point of switchPoints || []) {
    if (point.weekday >= 0 && point.weekday <= 6) {
      days[point.weekday].push({ time: point.time, temperature_c: Number(point.temperature_c) })
    }
  }
  return days.map(sortDay)
}

/** The API's flat list of switch points from seven days. */
export function daysToApi(days) {
  const points = []
  days.forEach((day, weekday) => {
    for (const point of sortDay(day)) {
      points.push({ weekday, time: point.time, temperature_c: Number(point.temperature_c) })
    }
  })
  return points
}

/** A copy of a day's switch points ordered by time (invalid times last, in their order). */
export function sortDay(day) {
  return [...day].sort((a, b) => (parseTime(a.time) ?? 1e9) - (parseTime(b.time) ?? 1e9))
}

/**
 * Every problem of a week, as the API would see it: bad times, temperatures
 * outside 5–30 °C or not in 0.5 steps, more than 12 switch points a day, two
 * at the same time. Each problem names its day and, where there is one, the
 * switch point's index in that day's list.
 */
export function validateDays(days) {
  const problems = []
  days.forEach((day, weekday) => {
    const dayName = weekdayName(weekday)
    if (day.length > MAX_SWITCH_POINTS_PER_DAY) {
      problems.push({ weekday, index: null, field: 'day', message: t('{day}: at most {max} switch points a day (there are {n})', { day: dayName, max: MAX_SWITCH_POINTS_PER_DAY, n: day.length }) })
    }
    const seen = new Map()
    day.forEach((point, index) => {
      const badTime = timeProblem(point.time)
      if (badTime) {
        problems.push({ weekday, index, field: 'time', message: t('{day}, switch point {n}: the time {problem}', { day: dayName, n: index + 1, problem: badTime }) })
      } else if (seen.has(point.time)) {
        problems.push({ weekday, index, field: 'time', message: t('{day}: two switch points at {time}', { day: dayName, time: point.time }) })
      } else {
        seen.set(point.time, index)
      }
      const badTemp = temperatureProblem(point.temperature_c)
      if (badTemp) {
        problems.push({ weekday, index, field: 'temperature_c', message: t('{day}, {point}: the temperature {problem}', { day: dayName, point: point.time || t('switch point {n}', { n: index + 1 }), problem: badTemp }) })
      }
    })
  })
  return problems
}

function replaceDay(days, weekday, newDay) {
  return days.map((day, i) => (i === weekday ? newDay : day))
}

/**
 * A new week with a switch point added to a day. Refuses (throws an Error
 * whose message says why) a time already taken or a thirteenth point.
 */
export function addSwitchPoint(days, weekday, time, temperatureC) {
  const day = days[weekday]
  if (timeProblem(time)) throw new Error(`The time ${timeProblem(time)}.`)
  if (day.some((point) => point.time === time)) throw new Error(t('{day} already has a switch point at {time}.', { day: weekdayName(weekday), time }))
  if (day.length >= MAX_SWITCH_POINTS_PER_DAY) throw new Error(t('{day} already has {max} switch points, the most a day can have.', { day: weekdayName(weekday), max: MAX_SWITCH_POINTS_PER_DAY }))
  return replaceDay(days, weekday, sortDay([...day, { time, temperature_c: Number(temperatureC) }]))
}

/** A new week with one switch point of a day changed (time and/or temperature); the day stays sorted. */
export function updateSwitchPoint(days, weekday, index, changes) {
  const day = days[weekday].map((point, i) => (i === index ? { ...point, ...changes } : point))
  return replaceDay(days, weekday, sortDay(day))
}

/**
 * A new week with a switch point moved to another time of its day. Refuses
 * (throws) a time another switch point of that day already has.
 */
export function moveSwitchPoint(days, weekday, index, time) {
  if (timeProblem(time)) throw new Error(`The time ${timeProblem(time)}.`)
  if (days[weekday].some((point, i) => i !== index && point.time === time)) {
    throw new Error(t('{day} already has a switch point at {time}.', { day: weekdayName(weekday), time }))
  }
  return updateSwitchPoint(days, weekday, index, { time })
}

/** A new week without one switch point of a day. */
export function removeSwitchPoint(days, weekday, index) {
  return replaceDay(days, weekday, days[weekday].filter((_, i) => i !== index))
}

/** A new week in which each target day has the switch points of the source day (replacing its own). */
export function copyDay(days, fromWeekday, toWeekdays) {
  const source = days[fromWeekday]
  return days.map((day, weekday) =>
    weekday !== fromWeekday && toWeekdays.includes(weekday) ? source.map((point) => ({ ...point })) : day,
  )
}

/**
 * The temperature in force when a day begins: the last valid switch point
 * before it, looking back round the week; the room's default when the week
 * has none.
 */
export function temperatureAtDayStart(days, weekday, defaultTempC) {
  for (let back = 1; back <= 7; back += 1) {
    const day = days[(weekday - back + 7) % 7]
    const valid = sortDay(day).filter((point) => parseTime(point.time) !== null)
    if (valid.length) return Number(valid[valid.length - 1].temperature_c)
  }
  return defaultTempC
}

/**
 * The day as coloured stretches: [{start_min, end_min, temperature_c, index}]
 * covering 00:00 to 24:00 without gaps. `index` is the switch point that
 * starts the stretch (null for the stretch carried over from the day before).
 */
export function daySegments(days, weekday, defaultTempC) {
  const day = days[weekday]
  const points = day
    .map((point, index) => ({ ...point, index, minutes: parseTime(point.time) }))
    .filter((point) => point.minutes !== null)
    .sort((a, b) => a.minutes - b.minutes)
  const segments = []
  let start = 0
  let temperature = temperatureAtDayStart(days, weekday, defaultTempC)
  let index = null
  for (const point of points) {
    if (point.minutes > start) segments.push({ start_min: start, end_min: point.minutes, temperature_c: temperature, index })
    start = point.minutes
    temperature = Number(point.temperature_c)
    index = point.index
  }
  segments.push({ start_min: start, end_min: MINUTES_PER_DAY, temperature_c: temperature, index })
  return segments
}

/** The temperature in force at a moment of a day (minutes since midnight). */
export function temperatureAt(days, weekday, minutes, defaultTempC) {
  const segment = daySegments(days, weekday, defaultTempC).find((s) => minutes >= s.start_min && minutes < s.end_min)
  return segment ? segment.temperature_c : defaultTempC
}

/**
 * A colour for a temperature, from cool blue (15 °C and below) to warm red
 * (23 °C and above), so a day bar reads at a glance. The bar also prints the
 * temperatures: colour is never the only carrier.
 */
export function temperatureColour(temperatureC) {
  const low = 15
  const high = 23
  const t = Math.min(Math.max((Number(temperatureC) - low) / (high - low), 0), 1)
  const hue = Math.round(215 - t * 215)
  const lightness = Math.round(62 - t * 10)
  return `hsl(${hue}, 70%, ${lightness}%)`
}

/** True when two weeks have the same switch points. */
export function sameDays(a, b) {
  return JSON.stringify(daysToApi(a)) === JSON.stringify(daysToApi(b))
}

/**
 * What to tell the household when the radiator valves cannot hold the schedule
 * as it is (GET /api/rooms/{id}/valve-program answered `exact: false`), or
 * null when they can. The valves keep their own week program so that the house
 * stays warm on schedule while the controller is off: that is why it matters.
 */
export function valveProgramNotice(program) {
  if (!program || program.exact !== false) return null
  const detail = String(program.message || '').trim()
  return t('Your radiator valves keep their own copy of this schedule, for when the controller is off, and that copy has to be simpler than what you set.')
    + (detail ? ` ${detail}` : '')
}
