// Words and numbers as a person reads them on the page, in its language.
import { intlLocale, t } from './i18n.js'

/** "19.4 °C", or "—" when there is no value. */
export function formatTemp(temperatureC, digits = 1) {
  if (temperatureC === null || temperatureC === undefined || Number.isNaN(Number(temperatureC))) return '—'
  return `${formatNumber(temperatureC, digits)}\u00a0°C`
}

/** A number in the page's locale with a fixed count of decimals: "19,4" in Dutch. */
export function formatNumber(value, digits = 1) {
  // signDisplay 'negative': -0.1 shown without decimals is "0", not "-0".
  return new Intl.NumberFormat(intlLocale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: 'negative' })
    .format(Number(value))
}

/** An amount of money: "€ 1,45" in Dutch, "€1.45" in English. */
export function formatMoney(amount, currency = 'EUR') {
  if (amount === null || amount === undefined || Number.isNaN(Number(amount))) return '—'
  try {
    return new Intl.NumberFormat(intlLocale(), { style: 'currency', currency }).format(Number(amount))
  } catch {
    return `${formatNumber(amount, 2)} ${currency}`
  }
}

/** "48 %", or "—". */
export function formatPct(value) {
  if (value === null || value === undefined) return '—'
  return `${Math.round(Number(value))}\u00a0%`
}

/** A duration in words: "50 s", "12 min", "3 h 5 min", "2 days". */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return t('never')
  const s = Math.max(0, Math.round(Number(seconds)))
  if (s < 90) return t('{n} s', { n: s })
  const minutes = Math.round(s / 60)
  if (minutes < 90) return t('{n} min', { n: minutes })
  const hours = Math.floor(minutes / 60)
  if (hours < 48) {
    const rest = minutes % 60
    return rest ? t('{h} h {m} min', { h: hours, m: rest }) : t('{n} h', { n: hours })
  }
  return t('{n} days', { n: Math.round(hours / 24) })
}

/** A clock time "HH:MM" of an instant, in this browser's time zone (the home's). */
export function formatClock(iso) {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return date.toLocaleTimeString(intlLocale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
}

/** "Mon 12 Jan 23:00" of an instant. */
export function formatDateTime(iso) {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return `${formatDate(date)} ${formatClock(iso)}`
}

/** "Mon 12 Jan" ("ma 12 jan" in Dutch) of a Date. */
export function formatDate(date, options = { weekday: 'short', day: 'numeric', month: 'short' }) {
  return date.toLocaleDateString(intlLocale(), options)
}

/** "today 23:00", "tomorrow 06:30", or a date and time further away; relative to `now`. */
export function formatWhen(iso, now = new Date()) {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
  const days = Math.round((startOfDay(date) - startOfDay(now)) / 86400000)
  if (days === 0) return t('today {time}', { time: formatClock(iso) })
  if (days === 1) return t('tomorrow {time}', { time: formatClock(iso) })
  return formatDateTime(iso)
}

export const SOURCE_WORDS = {
  schedule: 'by the schedule',
  override: 'set by hand',
  boost: 'boost',
  away: 'everyone is away',
  holiday: 'on holiday',
  summer: 'summer: heating off',
  frost: 'frost protection',
  default: 'the room’s default',
}

/**
 * Why a room has its target, in words: the source of the target and, for an
 * override, how long it lasts.
 */
export function targetReason(room, now = new Date()) {
  const source = room?.target_source
  const override = room?.override
  if ((source === 'override' || source === 'boost') && override) {
    const ends = override.ends_at || override.until
    const boost = override.kind === 'boost' || source === 'boost'
    if (!ends) return boost ? t('boost') : t('set by hand until you end it')
    const when = formatWhen(ends, now)
    return boost ? t('boost until {when}', { when }) : t('set by hand until {when}', { when })
  }
  return SOURCE_WORDS[source] ? t(SOURCE_WORDS[source]) : source ? String(source) : t('unknown')
}

/**
 * A valve's confirmed state in words: whether it is open comes from the
 * position it reported ("open, 100 %", "closed, 0 %"), not from what it was
 * told; the kind of setting and until when follow.
 */
export function valveStateWords(valve, now = new Date()) {
  const state = valve?.state
  if (!state) return t('no confirmed state yet')
  if (state.state === 'unknown') return t('state unknown')
  // A setting the valve holds only until `until`, after which it follows its own week program.
  if (state.until && new Date(state.until).getTime() <= now.getTime()) {
    return t('on its own program since {when}', { when: formatWhen(state.until, now) })
  }
  const pct = state.valve_pct === null || state.valve_pct === undefined ? null : Math.round(Number(state.valve_pct))
  const position = pct === null ? null : pct > 0 ? t('open, {pct}', { pct: formatPct(pct) }) : t('closed, {pct}', { pct: formatPct(0) })
  const parts = []
  if (state.mode === 'auto') parts.push(t('on its own program'), position)
  else if (state.state === 'target') parts.push(t('holding {temp}', { temp: formatTemp(state.target_c) }), position)
  else parts.push(position || (state.state === 'open' ? t('open') : state.state === 'closed' ? t('closed') : t('state unknown')))
  if (state.until) parts.push(t('until {time}', { time: formatClock(state.until) }))
  return parts.filter(Boolean).join(', ')
}

export const BOILER_DOING = {
  'central heating': 'burning for the radiators',
  'hot water': 'heating tap water',
  off: 'not burning',
}

/**
 * The boiler as it reported itself: what it is doing (its own indicator),
 * whether it was asked for heat, and a flow temperature only when it reports
 * one (`setpoint_c` is the boiler's own room setpoint, not a flow temperature).
 */
export function boilerWords(boiler) {
  if (!boiler || !boiler.time) return t('no state reported yet')
  const doing = BOILER_DOING[boiler.indicator]
  const parts = [doing ? t(doing) : t('has not said whether it burns')]
  parts.push(boiler.heat_demand ? t('asked for heat') : t('not asked for heat'))
  if (boiler.flow_temp_c !== null && boiler.flow_temp_c !== undefined) parts.push(t('flow {temp}', { temp: formatTemp(boiler.flow_temp_c, 0) }))
  return parts.join(', ')
}

/** Battery at or below this is worth a warning (a CR2032 near its end). */
export const LOW_BATTERY_PCT = 15

/**
 * What is wrong with a room's sensing and valves, as a list of
 * {level: 'error'|'warning', text}: stale or missing readings, low battery,
 * valves without a confirmed state. Empty when all is well.
 */
export function roomProblems(room) {
  const problems = []
  const thermometers = room?.thermometers || []
  if (!thermometers.length) {
    problems.push({ level: 'warning', text: t('No thermometer in this room: it cannot be controlled.') })
  } else if (!room.reading_time) {
    problems.push({ level: 'error', text: t('No reading from the thermometer yet. Check it is near and its battery is in.') })
  } else if (!room.in_sync) {
    problems.push({ level: 'error', text: t('Thermometer silent for {age}: the reading is stale. Check the thermometer and its battery.', { age: formatAge(room.reading_age_s) }) })
  }
  if (room?.battery_pct !== null && room?.battery_pct !== undefined && room.battery_pct <= LOW_BATTERY_PCT) {
    problems.push({ level: 'warning', text: t('Thermometer battery low ({pct} %): replace it soon.', { pct: room.battery_pct }) })
  }
  for (const valve of room?.valves || []) {
    if (!valve.state) {
      problems.push({ level: 'warning', text: t('Valve {name} has not confirmed a state yet.', { name: valve.name || valve.mac }) })
    } else if (valve.state.state === 'unknown') {
      problems.push({ level: 'error', text: t('Valve {name} did not answer: its state is unknown.', { name: valve.name || valve.mac }) })
    }
  }
  return problems
}

/** The value of a datetime-local input (local wall-clock) for an instant. */
export function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** An ISO instant with the UTC offset from a datetime-local input's value, or null. */
export function fromLocalInput(value) {
  if (!value) return null
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return null
  return date.toISOString()
}
