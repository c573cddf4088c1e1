import { describe, expect, it } from 'vitest'
import { boilerWords, formatAge, formatClock, formatTemp, roomProblems, targetReason, valveStateWords } from '../../src/format.js'

// A room of GET /api/status as in home-heating's docs/api.md ("Status").
const ROOM = {
  id: 1, name: 'Living room', temperature_c: 19.4, humidity_pct: 48.0, battery_pct: 93,
  reading_time: '2026-01-12T05:29:10Z', reading_age_s: 50, in_sync: true,
  target_c: 20.0, target_source: 'schedule', override: null,
  thermometers: [{ id: 1, mac: 'A4:C1:38:11:22:33', name: 'LYWSD03MMC living' }],
  valves: [{ id: 1, mac: '00:1A:22:0C:3B:5D', name: 'Window', radiator_power_w: 1500,
    state: { time: '2026-01-12T05:00:00Z', state: 'open', target_c: 30.0, valve_pct: 100, mode: 'manual' } }],
}

describe('words for numbers', () => {
  it.each([[50, '50 s'], [600, '10 min'], [7200, '2 h'], [7500, '2 h 5 min'], [3 * 86400, '3 days'], [null, 'never']])(
    'formatAge(%j) is %j', (seconds, words) => expect(formatAge(seconds)).toBe(words))
  it('keeps the unit with its number', () => expect(formatTemp(19.44)).toBe('19.4\u00a0°C'))
  it('never writes minus zero', () => {
    expect(formatTemp(-0.1, 0)).toBe('0\u00a0°C')
    expect(formatTemp(-0.6, 0)).toBe('-1\u00a0°C')
  })
})

describe('targetReason', () => {
  const now = new Date('2026-01-12T05:30:00Z')
  it.each([
    ['schedule', null, 'by the schedule'],
    ['default', null, 'the room’s default'],
    ['frost', null, 'frost protection'],
    ['away', null, 'everyone is away'],
    ['holiday', null, 'on holiday'],
  ])('%s', (source, override, words) => {
    expect(targetReason({ ...ROOM, target_source: source, override }, now)).toBe(words)
  })

  it('says until when an override or boost lasts', () => {
    const at = '2026-01-12T21:00:00Z'
    const manual = targetReason({ ...ROOM, target_source: 'override', override: { kind: 'manual', temperature_c: 21.5, ends_at: at } }, now)
    expect(manual).toMatch(/^set by hand until today \d\d:\d\d$/)
    const boost = targetReason({ ...ROOM, target_source: 'override', override: { kind: 'boost', temperature_c: 30, ends_at: at } }, now)
    expect(boost).toMatch(/^boost until today/)
  })
})

describe('roomProblems', () => {
  it('is empty for a healthy room', () => expect(roomProblems(ROOM)).toEqual([]))

  it.each([
    ['a stale reading', { in_sync: false, reading_age_s: 7200 }, 'error', /silent for 2 h/],
    ['no reading yet', { reading_time: null, in_sync: false }, 'error', /No reading from the thermometer yet/],
    ['no thermometer', { thermometers: [] }, 'warning', /No thermometer in this room/],
    ['a low battery', { battery_pct: 9 }, 'warning', /battery low \(9 %\)/],
    ['a valve that did not answer', { valves: [{ ...ROOM.valves[0], state: { ...ROOM.valves[0].state, state: 'unknown' } }] }, 'error', /Valve Window did not answer/],
    ['a valve never confirmed', { valves: [{ ...ROOM.valves[0], state: null }] }, 'warning', /Valve Window has not confirmed a state yet/],
  ])('names %s', (_, change, level, words) => {
    const problems = roomProblems({ ...ROOM, ...change })
    expect(problems).toHaveLength(1)
    expect(problems[0].level).toBe(level)
    expect(problems[0].text).toMatch(words)
  })
})

it('says what a valve is doing from the position it reported', () => {
  expect(valveStateWords(ROOM.valves[0])).toBe('open, 100\u00a0%')
  // Told to open but still shut, or told to close but still open: the position is what is true.
  expect(valveStateWords({ state: { state: 'open', valve_pct: 0, mode: 'manual' } })).toBe('closed, 0\u00a0%')
  expect(valveStateWords({ state: { state: 'closed', valve_pct: 100, mode: 'manual' } })).toBe('open, 100\u00a0%')
  expect(valveStateWords({ state: { state: 'open', valve_pct: null, mode: 'manual' } })).toBe('open')
  expect(valveStateWords({ state: { state: 'target', target_c: 21, valve_pct: 40 } })).toBe('holding 21.0\u00a0°C, open, 40\u00a0%')
  expect(valveStateWords({ state: null })).toBe('no confirmed state yet')
  expect(valveStateWords({ state: { state: 'unknown', valve_pct: null } })).toBe('state unknown')
  // Settings that end by themselves say until when; once ended, the valve is on its own program.
  const now = new Date('2026-01-12T05:10:00Z')
  const away = { state: 'open', target_c: 30, valve_pct: 100, mode: 'away', until: '2026-01-12T05:30:00Z' }
  expect(valveStateWords({ state: away }, now)).toBe(`open, 100\u00a0%, until ${formatClock(away.until)}`)
  expect(valveStateWords({ state: away }, new Date('2026-01-12T05:40:00Z')))
    .toBe(`on its own program since today ${formatClock(away.until)}`)
  expect(valveStateWords({ state: { state: 'target', target_c: 20, valve_pct: 30, mode: 'auto', until: null } }, now))
    .toBe('on its own program, open, 30\u00a0%')
})

it('says what the boiler reported, and a flow temperature only when it reports one', () => {
  const time = '2026-01-12T05:00:00Z'
  expect(boilerWords(null)).toBe('no state reported yet')
  expect(boilerWords({ time, heat_demand: true, indicator: 'central heating', setpoint_c: 30 }))
    .toBe('burning for the radiators, asked for heat')
  expect(boilerWords({ time, heat_demand: true, indicator: 'off', setpoint_c: 30 })).toBe('not burning, asked for heat')
  expect(boilerWords({ time, heat_demand: false, indicator: 'hot water' })).toBe('heating tap water, not asked for heat')
  expect(boilerWords({ time, heat_demand: false, indicator: null })).toBe('has not said whether it burns, not asked for heat')
  expect(boilerWords({ time, heat_demand: true, indicator: 'central heating', flow_temp_c: 55.4 }))
    .toBe('burning for the radiators, asked for heat, flow 55\u00a0°C')
  // Checked but nothing recorded yet: an object with null state fields.
  expect(boilerWords({ time: null, heat_demand: null, checked_at: time })).toBe('no state reported yet')
})
