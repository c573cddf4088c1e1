import { describe, expect, it } from 'vitest'
import { buildChart, openPeriods, valveIsOpen } from '../../src/chart.js'

const T0 = Date.parse('2026-01-12T00:00:00Z')
const at = (minutes) => new Date(T0 + minutes * 60000).toISOString()

// Shaped as GET /api/rooms/{id}/history answers (home-heating controller_api/rooms.py, history()).
function history(overrides = {}) {
  return {
    room_id: 1, from: at(0), to: at(24 * 60), resolution_s: 0,
    readings: [], targets: [{ time: at(0), target_c: 16, source: 'schedule' }, { time: at(390), target_c: 20, source: 'schedule' }],
    valve_states: [],
    ...overrides,
  }
}

describe('valve-open periods', () => {
  it.each([
    [{ state: 'open' }, true], [{ state: 'closed', valve_pct: 0 }, false], [{ state: 'unknown' }, false],
    [{ state: 'target', valve_pct: 40 }, true], [{ state: 'target', valve_pct: 0 }, false], [null, false],
  ])('valveIsOpen(%j) is %j', (state, open) => expect(valveIsOpen(state)).toBe(open))

  it('lasts from an open state to the same valve’s next state, clipped to the range', () => {
    const states = [
      { time: at(-60), valve_id: 1, state: 'open' },
      { time: at(30), valve_id: 1, state: 'closed' },
      { time: at(100), valve_id: 2, state: 'open' },
      { time: at(120), valve_id: 1, state: 'open' },
    ]
    expect(openPeriods(states, T0, T0 + 180 * 60000)).toEqual([
      { valve: 1, start_ms: T0, end_ms: T0 + 30 * 60000 },
      { valve: 1, start_ms: T0 + 120 * 60000, end_ms: T0 + 180 * 60000 },
      { valve: 2, start_ms: T0 + 100 * 60000, end_ms: T0 + 180 * 60000 },
    ])
  })
})

describe('buildChart', () => {
  it('breaks the temperature line where readings are missing', () => {
    const readings = [0, 10, 20, 120, 130].map((m) => ({ time: at(m), temperature_c: 19 }))
    const chart = buildChart(history({ readings }))
    expect(chart.temperaturePath.match(/M/g)).toHaveLength(2)
    expect(chart.temperaturePath.match(/L/g)).toHaveLength(3)
    expect(chart.readingCount).toBe(5)
  })

  it('draws the target as steps and puts 20 °C above 16 °C', () => {
    const chart = buildChart(history())
    const ys = [...chart.targetPath.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]))
    expect(ys).toHaveLength(4)
    expect(ys[0]).toBe(ys[1])
    expect(ys[2]).toBe(ys[3])
    expect(ys[2]).toBeLessThan(ys[0])
  })

  it('never shows a valve open beyond now', () => {
    const chart = buildChart(history({ valve_states: [{ time: at(600), valve_id: 1, state: 'open' }] }),
      { width: 1000, now: at(720) })
    expect(chart.bands).toHaveLength(1)
    const right = chart.bands[0].x + chart.bands[0].width
    expect(right).toBeCloseTo(chart.nowX, 0)
    expect(chart.nowX).toBeLessThan(chart.plot.x + chart.plot.width)
  })

  it('spans at least 4 K and includes every value', () => {
    const chart = buildChart(history({ readings: [{ time: at(60), temperature_c: 12.2 }] }))
    expect(chart.low).toBeLessThanOrEqual(12)
    expect(chart.high).toBeGreaterThanOrEqual(20)
    expect(chart.high - chart.low).toBeGreaterThanOrEqual(4)
  })
})

describe('time labels', () => {
  it.each([
    [1366, 24, 1], [390, 24, 4], [340, 24, 6], [1366, 24 * 7, 24], [340, 24 * 7, 24], [200, 24 * 7, 48],
  ])('a %i px wide chart of %i hours labels every %i h', (width, hours, step) => {
    const chart = buildChart(history({ to: at(hours * 60) }), { width })
    expect(chart.hourStep).toBe(step)
    const gaps = chart.xTicks.slice(1).map((tick, i) => tick.x - chart.xTicks[i].x)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(hours > 48 ? 34 : 48)
  })
})

describe('recorded and planned targets', () => {
  it('draws the recorded part solid and the planned part apart', async () => {
    const { buildChart } = await import('../../src/chart.js')
    const history = {
      from: '2026-01-12T00:00:00Z', to: '2026-01-12T12:00:00Z', resolution_s: 0,
      readings: [{ time: '2026-01-12T01:00:00Z', temperature_c: 19 }],
      targets: [
        { time: '2026-01-12T00:00:00Z', target_c: 18, source: 'schedule', recorded: false },
        { time: '2026-01-12T03:00:00Z', target_c: 23, source: 'override', recorded: true },
        { time: '2026-01-12T06:00:00Z', target_c: 20, source: 'schedule', recorded: false },
      ],
      valve_states: [],
    }
    const chart = buildChart(history, { width: 720, height: 300 })
    expect(chart.recordedTargetPath.match(/M/g)).toHaveLength(1)
    // The plan before the first record and after it are two separate pieces.
    expect(chart.targetPath.match(/M/g)).toHaveLength(2)
    // Without "recorded" (an older API) everything is the plan.
    const older = buildChart({ ...history, targets: history.targets.map(({ recorded, ...t }) => t) }, { width: 720, height: 300 })
    expect(older.recordedTargetPath).toBe('')
    expect(older.targetPath.match(/M/g)).toHaveLength(1)
  })
})
