// Words and numbers as a person reads them on the page.

/** "19.4 °C", or "—" when there is no value. */
export function formatTemp(temperatureC, digits = 1) {
  if (temperatureC === null || temperatureC === undefined || Number.isNaN(Number(temperatureC))) return '—'
  return `${Number(temperatureC).toFixed(digits)}\u00a0°C`
}

/** "48 %", or "—". */
export function formatPct(value) {
  if (value === null || value === undefined) return '—'
  return `${Math.round(Number(value))}\u00a0%`
}

/** A duration in words: "50 s", "12 min", "3 h 5 min", "2 days". */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return 'never'
  const s = Math.max(0, Math.round(Number(seconds)))
  if (s < 90) return `${s} s`
  const minutes = Math.round(s / 60)
  if (minutes < 90) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) {
    const rest = minutes % 60
    return rest ? `${hours} h ${rest} min` : `${hours} h`
  }
  return `${Math.round(hours / 24)} days`
}

/** A clock time "HH:MM" of an instant, in this browser's time zone (the home's). */
export function formatClock(iso) {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false })
}

/** "Mon 12 Jan 23:00" of an instant. */
export function formatDateTime(iso) {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return `${date.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })} ${formatClock(iso)}`
}

/** "today 23:00", "tomorrow 06:30", or a date and time further away; relative to `now`. */
export function formatWhen(iso, now = new Date()) {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
  const days = Math.round((startOfDay(date) - startOfDay(now)) / 86400000)
  if (days === 0) return `today ${formatClock(iso)}`
  if (days === 1) return `tomorrow ${formatClock(iso)}`
  return formatDateTime(iso)
}

const SOURCE_WORDS = {
  schedule: 'by the schedule',
  override: 'set by hand',
  boost: 'boost',
  away: 'everyone is away',
  holiday: 'on holiday',
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
    const kind = override.kind === 'boost' || source === 'boost' ? 'boost' : 'set by hand'
    return ends ? `${kind} until ${formatWhen(ends, now)}` : kind
  }
  return SOURCE_WORDS[source] || (source ? String(source) : 'unknown')
}

/** A valve's confirmed state in words. */
export function valveStateWords(valve, now = new Date()) {
  const state = valve?.state
  if (!state) return 'no confirmed state yet'
  const pct = state.valve_pct !== null && state.valve_pct !== undefined ? ` (${state.valve_pct}\u00a0%)` : ''
  // A setting the valve holds only until `until`, after which it follows its own week program.
  if (state.until && new Date(state.until).getTime() <= now.getTime()) {
    return `on its own program since ${formatWhen(state.until, now)}`
  }
  const until = state.until ? ` until ${formatClock(state.until)}` : ''
  if (state.mode === 'auto') return `on its own program (the room’s schedule)${pct}`
  if (state.state === 'open') return `open${until}${pct}`
  if (state.state === 'closed') return `closed${until}${pct}`
  if (state.state === 'target') return `set to ${formatTemp(state.target_c)}${until}${pct}`
  return 'state unknown'
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
    problems.push({ level: 'warning', text: 'No thermometer in this room: it cannot be controlled.' })
  } else if (!room.reading_time) {
    problems.push({ level: 'error', text: 'No reading from the thermometer yet. Check it is near and its battery is in.' })
  } else if (!room.in_sync) {
    problems.push({ level: 'error', text: `Thermometer silent for ${formatAge(room.reading_age_s)}: the reading is stale. Check the thermometer and its battery.` })
  }
  if (room?.battery_pct !== null && room?.battery_pct !== undefined && room.battery_pct <= LOW_BATTERY_PCT) {
    problems.push({ level: 'warning', text: `Thermometer battery low (${room.battery_pct} %): replace it soon.` })
  }
  for (const valve of room?.valves || []) {
    if (!valve.state) {
      problems.push({ level: 'warning', text: `Valve ${valve.name || valve.mac} has not confirmed a state yet.` })
    } else if (valve.state.state === 'unknown') {
      problems.push({ level: 'error', text: `Valve ${valve.name || valve.mac} did not answer: its state is unknown.` })
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
