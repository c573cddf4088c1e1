// Gas per room as the page shows it: GET /api/gas by local day, then summed
// into weeks (Monday first) or months here, so one kind of request serves
// every view and the parts still add up to what the meter measured.

export const RANGES = {
  day: { count: 14 },
  week: { count: 8 },
  month: { count: 12 },
}

const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate())
const monday = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7))

/** The start of the day, week or month an instant is in (local time). */
export function periodStart(range, date) {
  const d = new Date(date)
  if (range === 'week') return monday(d)
  if (range === 'month') return new Date(d.getFullYear(), d.getMonth(), 1)
  return startOfDay(d)
}

function nextStart(range, start) {
  if (range === 'week') return new Date(start.getFullYear(), start.getMonth(), start.getDate() + 7)
  if (range === 'month') return new Date(start.getFullYear(), start.getMonth() + 1, 1)
  return new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1)
}

/** The query for the last `count` periods up to now: by day, at most 366 days (the API's limit). */
export function gasQuery(range, now = new Date()) {
  const { count } = RANGES[range]
  let start = periodStart(range, now)
  for (let i = 1; i < count; i += 1) start = periodStart(range, new Date(start.getTime() - 1))
  return { from: start.toISOString(), to: new Date(now).toISOString(), group: 'day' }
}

const ZERO = () => ({ gas_m3: 0, energy_kwh: 0, cost: 0 })
function add(into, amount) {
  into.gas_m3 += amount?.gas_m3 || 0
  into.energy_kwh += amount?.energy_kwh || 0
  into.cost += amount?.cost || 0
}

/**
 * The answer's day buckets summed per day, week or month: a list of
 * {start, end, rooms: [{room_id, name, gas_m3, energy_kwh, cost}], hot_water,
 * unattributed, metered}, oldest first, every period of the range present.
 */
export function groupGas(answer, range) {
  const buckets = answer?.buckets || []
  const periods = new Map()
  if (answer?.from && answer?.to) {
    for (let start = periodStart(range, answer.from); start < new Date(answer.to); start = nextStart(range, start)) {
      periods.set(start.getTime(), { start, end: nextStart(range, start), rooms: new Map(), hot_water: ZERO(), unattributed: ZERO(), metered: ZERO() })
    }
  }
  for (const bucket of buckets) {
    const start = periodStart(range, bucket.start)
    const period = periods.get(start.getTime())
    if (!period) continue
    for (const room of bucket.rooms || []) {
      if (!period.rooms.has(room.room_id)) period.rooms.set(room.room_id, { room_id: room.room_id, name: room.name, ...ZERO() })
      add(period.rooms.get(room.room_id), room)
    }
    add(period.hot_water, bucket.hot_water)
    add(period.unattributed, bucket.unattributed)
    add(period.metered, bucket.metered)
  }
  return [...periods.values()].map((p) => ({ ...p, rooms: [...p.rooms.values()] }))
}

/** The series of a chart: every room, then hot water and what could not be attributed. */
export function gasSeries(periods) {
  const rooms = new Map()
  for (const period of periods) for (const room of period.rooms) if (!rooms.has(room.room_id)) rooms.set(room.room_id, room.name)
  return [
    ...[...rooms.entries()].map(([id, name]) => ({ key: `room-${id}`, name, pick: (p) => p.rooms.find((r) => r.room_id === id) })),
    { key: 'hot_water', name: null, pick: (p) => p.hot_water },
    { key: 'unattributed', name: null, pick: (p) => p.unattributed },
  ]
}

const PALETTE = ['#0b6bcb', '#c2410c', '#17803d', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#4d7c0f']
/** A colour for a series, the same for a room in every view. */
export function seriesColour(series, index) {
  if (series.key === 'hot_water') return '#d89b00'
  if (series.key === 'unattributed') return '#8d99a8'
  return PALETTE[index % PALETTE.length]
}

/** Bars of a stacked chart: per period its segments (x, y, height in pixels), from the bottom up. */
export function gasBars(periods, series, { width, height, margin = { top: 10, right: 8, bottom: 26, left: 44 } }) {
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const highest = Math.max(0, ...periods.map((p) => p.metered.gas_m3))
  const top = highest > 0 ? niceCeiling(highest) : 1
  const slot = periods.length ? plotW / periods.length : plotW
  const barW = Math.max(4, Math.min(48, slot * 0.7))
  const bars = periods.map((period, i) => {
    let base = 0
    const segments = []
    series.forEach((s, index) => {
      const amount = s.pick(period)?.gas_m3 || 0
      if (amount <= 0) return
      const h = (amount / top) * plotH
      segments.push({ key: s.key, colour: seriesColour(s, index), x: margin.left + i * slot + (slot - barW) / 2, width: barW,
        y: margin.top + plotH - base - h, height: h })
      base += h
    })
    return { period, segments, x: margin.left + i * slot, width: slot, centre: margin.left + i * slot + slot / 2 }
  })
  // Round steps: 0–5 by 1, 0–2 by 0.5, 0–2.5 by 0.5, 0–10 by 2.
  const leading = top / 10 ** Math.floor(Math.log10(top))
  const intervals = Math.abs(leading - 2) < 1e-9 ? 4 : 5
  const ticks = Array.from({ length: intervals + 1 }, (_, i) => i / intervals)
    .map((f) => ({ value: Math.round(top * f * 1000) / 1000, y: margin.top + plotH - f * plotH }))
  return { bars, ticks, plot: { x: margin.left, y: margin.top, width: plotW, height: plotH }, top }
}

function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power
  return 10 * power
}
