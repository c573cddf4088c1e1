// Geometry of the history chart: the measured temperature as a line (broken
// where readings are missing), the target as steps, and the periods a valve
// was open as bands. Pure: history in, numbers and SVG path strings out.

const ms = (iso) => new Date(iso).getTime()

/** A reading gap longer than this (or three times the data's resolution) breaks the line. */
export const GAP_MS = 20 * 60 * 1000

/** True when a confirmed valve state lets hot water through. */
export function valveIsOpen(state) {
  if (!state) return false
  if (state.state === 'open') return true
  if (state.state === 'closed' || state.state === 'unknown') return false
  return Number(state.valve_pct) > 0
}

/**
 * Periods each valve was open within [fromMs, toMs]: [{valve, start_ms, end_ms}].
 * A state holds until the same valve's next state, or the end of the range.
 */
export function openPeriods(valveStates, fromMs, toMs) {
  const byValve = new Map()
  for (const state of valveStates || []) {
    const key = state.valve_id ?? state.mac
    if (!byValve.has(key)) byValve.set(key, [])
    byValve.get(key).push(state)
  }
  const periods = []
  for (const [valve, states] of byValve) {
    const sorted = [...states].sort((a, b) => ms(a.time) - ms(b.time))
    sorted.forEach((state, i) => {
      if (!valveIsOpen(state)) return
      const start = Math.max(ms(state.time), fromMs)
      const end = Math.min(i + 1 < sorted.length ? ms(sorted[i + 1].time) : toMs, toMs)
      if (end > start) periods.push({ valve, start_ms: start, end_ms: end })
    })
  }
  return periods
}

function niceStep(span, targetTicks) {
  const raw = span / targetTicks
  const power = 10 ** Math.floor(Math.log10(raw))
  const steps = [1, 2, 2.5, 5, 10]
  return power * steps.find((s) => s * power >= raw)
}

/**
 * Everything the chart draws, in SVG units of a `width` × `height` drawing
 * with `margin` around the plot. Temperatures span the readings and targets,
 * padded, at least 4 K. A valve's last state lasts until `now` (never into
 * the future); the target is drawn to the end of the range, as planned.
 */
export function buildChart(history, { width = 720, height = 300, now = null, margin = { top: 12, right: 14, bottom: 28, left: 40 } } = {}) {
  const fromMs = ms(history.from)
  const toMs = ms(history.to)
  const nowMs = now === null ? toMs : Math.min(Math.max(new Date(now).getTime(), fromMs), toMs)
  const readings = (history.readings || []).filter((r) => r.temperature_c !== null && r.temperature_c !== undefined)
  const targets = [...(history.targets || [])].sort((a, b) => ms(a.time) - ms(b.time))
  const values = [...readings.map((r) => Number(r.temperature_c)), ...targets.map((t) => Number(t.target_c))]
  let low = values.length ? Math.min(...values) : 15
  let high = values.length ? Math.max(...values) : 22
  if (high - low < 4) {
    const middle = (high + low) / 2
    low = middle - 2
    high = middle + 2
  }
  low = Math.floor(low - 0.5)
  high = Math.ceil(high + 0.5)

  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const x = (t) => margin.left + ((t - fromMs) / (toMs - fromMs)) * plotW
  const y = (c) => margin.top + (1 - (c - low) / (high - low)) * plotH
  const r1 = (n) => Math.round(n * 10) / 10

  const gapMs = Math.max(GAP_MS, 3 * 1000 * (history.resolution_s || 0))
  let temperaturePath = ''
  let previous = null
  for (const reading of readings) {
    const t = ms(reading.time)
    const command = previous === null || t - previous > gapMs ? 'M' : 'L'
    temperaturePath += `${command}${r1(x(t))},${r1(y(Number(reading.temperature_c)))}`
    previous = t
  }

  // The target as the control loop recorded it (solid) and as the schedule plans it (dashed):
  // before the first record, ahead of now. An API without records gives only the plan.
  let targetPath = ''
  let recordedTargetPath = ''
  let previousRecorded = null
  targets.forEach((target, i) => {
    const start = Math.max(ms(target.time), fromMs)
    const end = Math.min(i + 1 < targets.length ? ms(targets[i + 1].time) : toMs, toMs)
    if (end <= start) return
    const yy = r1(y(Number(target.target_c)))
    const recorded = target.recorded === true
    const path = recorded ? recordedTargetPath : targetPath
    const joined = path && previousRecorded === recorded
    const piece = `${joined ? 'L' : 'M'}${r1(x(start))},${yy}L${r1(x(end))},${yy}`
    if (recorded) recordedTargetPath += piece
    else targetPath += piece
    previousRecorded = recorded
  })

  const bands = openPeriods(history.valve_states, fromMs, nowMs).map((p) => ({
    valve: p.valve,
    x: r1(x(p.start_ms)),
    width: r1(Math.max(x(p.end_ms) - x(p.start_ms), 1)),
  }))

  const yStep = niceStep(high - low, 5)
  const yTicks = []
  for (let c = Math.ceil(low / yStep) * yStep; c <= high + 1e-9; c += yStep) yTicks.push({ value: c, y: r1(y(c)) })

  // As many time labels as fit: a clock time needs about 48 px, a day ("M 12") 34 px.
  const spanH = (toMs - fromMs) / 3600000
  const pxPerHour = plotW / spanH
  const hourStep = spanH <= 48
    ? [1, 2, 3, 4, 6, 12, 24].find((step) => step * pxPerHour >= 48) || 24
    : [24, 48, 24 * 7].find((step) => step * pxPerHour >= 34) || 24 * 7
  const xTicks = []
  const first = new Date(fromMs)
  first.setMinutes(0, 0, 0)
  if (hourStep >= 24) first.setHours(0)
  else first.setHours(Math.ceil(first.getHours() / hourStep) * hourStep)
  for (let t = first.getTime(); t <= toMs; ) {
    // A label at the very right edge would be cut off.
    if (t >= fromMs && x(t) <= width - margin.right - 12) xTicks.push({ time: t, x: r1(x(t)) })
    const next = new Date(t)
    if (hourStep >= 24) next.setDate(next.getDate() + hourStep / 24)
    else next.setHours(next.getHours() + hourStep)
    t = next.getTime()
  }

  return {
    width, height, margin, low, high,
    plot: { x: margin.left, y: margin.top, width: plotW, height: plotH },
    temperaturePath, targetPath, recordedTargetPath, bands, yTicks, xTicks, hourStep,
    nowX: nowMs > fromMs && nowMs < toMs ? r1(x(nowMs)) : null,
    readingCount: readings.length,
  }
}
