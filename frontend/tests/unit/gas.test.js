import { describe, expect, it } from 'vitest'
import { gasBars, gasQuery, gasSeries, groupGas, periodStart } from '../../src/gas.js'

// Days as GET /api/gas?group=day gives them (docs/api.md, "Gas per room"), home time Europe/Amsterdam.
const amount = (gas_m3) => ({ gas_m3, energy_kwh: gas_m3 * 9.769, cost: gas_m3 * 1.45 })
function day(iso, living, bedroom, hot) {
  const start = new Date(iso)
  const end = new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1)
  return {
    start: start.toISOString(), end: end.toISOString(),
    rooms: [{ room_id: 1, name: 'Living room', ...amount(living) }, { room_id: 2, name: 'Bedroom', ...amount(bedroom) }],
    hot_water: amount(hot), unattributed: amount(0.01), metered: amount(living + bedroom + hot + 0.01),
  }
}

describe('gas grouped by week and month', () => {
  // Thursday 29 January to Tuesday 3 February 2026.
  const days = [29, 30, 31].map((d, i) => day(`2026-01-${d}T00:00:00`, 1 + i, 0.5, 0.2))
    .concat([1, 2, 3].map((d, i) => day(`2026-02-0${d}T00:00:00`, 2 + i, 0.25, 0.1)))
  const answer = { from: days[0].start, to: new Date('2026-02-03T12:00:00').toISOString(), buckets: days }

  it('keeps days as they are', () => {
    const periods = groupGas(answer, 'day')
    expect(periods).toHaveLength(6)
    expect(periods[2].rooms[0].gas_m3).toBeCloseTo(3)
  })

  it('sums days into weeks starting on Monday', () => {
    const periods = groupGas(answer, 'week')
    expect(periods.map((p) => p.start.getDate())).toEqual([26, 2])
    // Thu 29 to Sun 1 February, then Mon 2 and Tue 3.
    expect(periods[0].rooms.find((r) => r.room_id === 1).gas_m3).toBeCloseTo(1 + 2 + 3 + 2)
    expect(periods[1].rooms.find((r) => r.room_id === 1).gas_m3).toBeCloseTo(3 + 4)
    expect(periods[1].hot_water.gas_m3).toBeCloseTo(0.2)
  })

  it('sums days into months, and the parts still add up to the meter', () => {
    const periods = groupGas(answer, 'month')
    expect(periods.map((p) => p.start.getMonth())).toEqual([0, 1])
    for (const period of periods) {
      const parts = period.rooms.reduce((sum, r) => sum + r.gas_m3, 0) + period.hot_water.gas_m3 + period.unattributed.gas_m3
      expect(parts).toBeCloseTo(period.metered.gas_m3, 9)
    }
    expect(periods[1].metered.cost).toBeCloseTo((2 + 3 + 4 + 0.75 + 0.3 + 0.03) * 1.45, 9)
  })

  it('shows a period without gas as empty, not missing', () => {
    const periods = groupGas({ ...answer, buckets: days.slice(0, 1) }, 'day')
    expect(periods).toHaveLength(6)
    expect(periods[5].metered.gas_m3).toBe(0)
  })
})

describe('the query', () => {
  const now = new Date('2026-02-03T12:00:00')
  // Tuesday: this week began on Monday the day before.
  it.each([['day', 13], ['week', 7 * 7 + 1], ['month', null]])('for %s starts at a period start', (range, daysBack) => {
    const query = gasQuery(range, now)
    expect(query.group).toBe('day')
    const from = new Date(query.from)
    expect(periodStart(range, from).getTime()).toBe(from.getTime())
    if (daysBack !== null) expect(Math.round((periodStart('day', now) - from) / 86400000)).toBe(daysBack)
    // Within the API's limit for days.
    expect(new Date(query.to) - from).toBeLessThanOrEqual(366 * 86400000)
  })
  it('asks for twelve months back to the first of the month', () => {
    const from = new Date(gasQuery('month', now).from)
    expect([from.getFullYear(), from.getMonth(), from.getDate()]).toEqual([2025, 2, 1])
  })
})

it('stacks the bars in proportion to the gas', () => {
  const periods = groupGas({ from: '2026-02-01T00:00:00', to: '2026-02-02T23:00:00',
    buckets: [day('2026-02-01T00:00:00', 2, 1, 1), day('2026-02-02T00:00:00', 1, 0, 0)] }, 'day')
  const chart = gasBars(periods, gasSeries(periods), { width: 400, height: 236 })
  const [first, second] = chart.bars
  const heights = first.segments.map((s) => s.height)
  expect(heights[0] / heights[1]).toBeCloseTo(2)
  expect(second.segments.map((s) => s.key)).toEqual(['room-1', 'unattributed'])
  expect(chart.top).toBeGreaterThanOrEqual(first.period.metered.gas_m3)
})

it('puts the axis ticks on round numbers', () => {
  for (const [highest, expected] of [[4.3, [0, 1, 2, 3, 4, 5]], [1.7, [0, 0.5, 1, 1.5, 2]], [0.8, [0, 0.2, 0.4, 0.6, 0.8, 1]], [12, [0, 5, 10, 15, 20]]]) {
    const periods = groupGas({ from: '2026-02-01T00:00:00', to: '2026-02-01T23:00:00', buckets: [day('2026-02-01T00:00:00', highest - 0.01, 0, 0)] }, 'day')
    expect(gasBars(periods, gasSeries(periods), { width: 400, height: 236 }).ticks.map((tick) => tick.value)).toEqual(expected)
  }
})
