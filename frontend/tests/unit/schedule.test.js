import { describe, expect, it } from 'vitest'
import {
  addSwitchPoint, copyDay, daySegments, daysFromApi, daysToApi, formatTime, moveSwitchPoint, parseTime,
  removeSwitchPoint, snapMinutes, temperatureAt, temperatureAtDayStart, temperatureProblem, timeProblem, validateDays,
  valveProgramNotice,
} from '../../src/schedule.js'

const empty = () => daysFromApi([])

// The example week of docs/api.md ("Schedule"): Monday 06:30 20 °C, 22:00 16 °C.
const DOC_EXAMPLE = [
  { weekday: 0, time: '06:30', temperature_c: 20.0 },
  { weekday: 0, time: '22:00', temperature_c: 16.0 },
]

describe('times', () => {
  it.each([
    ['00:00', 0], ['06:30', 390], ['23:59', 1439], ['24:00', null], ['6:30', null], ['06:60', null],
    ['', null], ['06:30:00', null], [null, null], ['ab:cd', null],
  ])('parseTime(%j) is %j', (text, minutes) => {
    expect(parseTime(text)).toBe(minutes)
  })

  it('formats and wraps minutes', () => {
    expect(formatTime(390)).toBe('06:30')
    expect(formatTime(1440)).toBe('00:00')
    expect(formatTime(-30)).toBe('23:30')
  })

  it('snaps to the step and never to 24:00', () => {
    expect(snapMinutes(397, 15)).toBe(390)
    expect(snapMinutes(1439, 15)).toBe(1425)
    expect(snapMinutes(-20, 15)).toBe(0)
  })
})

describe('temperatures as the API accepts them (5–30 °C in 0.5 steps)', () => {
  it.each([
    [5, null], [30, null], [20.5, null], ['21.5', null],
    [4.5, 'must be between 5 and 30 °C'], [30.5, 'must be between 5 and 30 °C'],
    [20.25, 'must be in steps of 0.5 °C'], ['', 'enter a temperature'], ['warm', 'enter a temperature in °C'],
  ])('temperatureProblem(%j) is %j', (value, problem) => {
    expect(temperatureProblem(value)).toBe(problem)
  })
})

describe('validateDays', () => {
  it('accepts the example of the API documentation', () => {
    expect(validateDays(daysFromApi(DOC_EXAMPLE))).toEqual([])
  })

  it.each([
    ['a bad time', [{ time: '25:00', temperature_c: 20 }], 'time', /the time must be a time HH:MM/],
    ['a duplicate time', [{ time: '07:00', temperature_c: 20 }, { time: '07:00', temperature_c: 18 }], 'time', /two switch points at 07:00/],
    ['a temperature too high', [{ time: '07:00', temperature_c: 31 }], 'temperature_c', /between 5 and 30/],
    ['a temperature off the half degree', [{ time: '07:00', temperature_c: 20.2 }], 'temperature_c', /steps of 0.5/],
  ])('names %s', (_, day, field, message) => {
    const days = empty()
    days[2] = day
    const problems = validateDays(days)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ weekday: 2, field })
    expect(problems[0].message).toMatch(/^Wednesday/)
    expect(problems[0].message).toMatch(message)
  })

  it('refuses a thirteenth switch point in a day', () => {
    const days = empty()
    days[4] = Array.from({ length: 13 }, (_, i) => ({ time: formatTime(i * 60), temperature_c: 18 }))
    expect(validateDays(days).map((p) => p.field)).toEqual(['day'])
    days[4] = days[4].slice(0, 12)
    expect(validateDays(days)).toEqual([])
  })
})

describe('editing', () => {
  it('adds a switch point in time order and refuses a taken time or a thirteenth point', () => {
    let days = daysFromApi(DOC_EXAMPLE)
    days = addSwitchPoint(days, 0, '12:00', 19)
    expect(days[0].map((p) => p.time)).toEqual(['06:30', '12:00', '22:00'])
    expect(() => addSwitchPoint(days, 0, '12:00', 19)).toThrow('Monday already has a switch point at 12:00.')
    for (let hour = 0; hour < 9; hour += 1) days = addSwitchPoint(days, 0, formatTime(hour * 60 + 1), 18)
    expect(days[0]).toHaveLength(12)
    expect(() => addSwitchPoint(days, 0, '23:00', 18)).toThrow(/12 switch points, the most a day can have/)
  })

  it('moves a switch point, keeping the day sorted, but not onto another', () => {
    let days = daysFromApi(DOC_EXAMPLE)
    days = moveSwitchPoint(days, 0, 1, '05:00')
    expect(days[0]).toEqual([{ time: '05:00', temperature_c: 16 }, { time: '06:30', temperature_c: 20 }])
    expect(() => moveSwitchPoint(days, 0, 0, '06:30')).toThrow('Monday already has a switch point at 06:30.')
    expect(() => moveSwitchPoint(days, 0, 0, '7:00')).toThrow(/HH:MM/)
  })

  it('removes and copies without touching the original week', () => {
    const original = daysFromApi(DOC_EXAMPLE)
    const removed = removeSwitchPoint(original, 0, 0)
    expect(removed[0]).toEqual([{ time: '22:00', temperature_c: 16 }])
    expect(original[0]).toHaveLength(2)
    const copied = copyDay(original, 0, [1, 5, 0])
    expect(copied[1]).toEqual(original[0])
    expect(copied[5]).toEqual(original[0])
    expect(copied[2]).toEqual([])
    copied[1][0].temperature_c = 25
    expect(original[0][0].temperature_c).toBe(20)
  })

  it('goes to the API as a flat list, Monday first, each day by time', () => {
    const days = empty()
    days[6] = [{ time: '08:00', temperature_c: 19 }]
    days[0] = [{ time: '22:00', temperature_c: 16 }, { time: '06:30', temperature_c: '20' }]
    expect(daysToApi(days)).toEqual([
      { weekday: 0, time: '06:30', temperature_c: 20 },
      { weekday: 0, time: '22:00', temperature_c: 16 },
      { weekday: 6, time: '08:00', temperature_c: 19 },
    ])
  })
})

describe('the day bar', () => {
  it('carries the last switch point of the week round into a day without its own', () => {
    const days = daysFromApi(DOC_EXAMPLE)
    // Tuesday to Sunday have none: Monday 22:00 (16 °C) holds all week, also into Monday morning.
    expect(temperatureAtDayStart(days, 3, 18)).toBe(16)
    expect(temperatureAtDayStart(days, 0, 18)).toBe(16)
    expect(daySegments(days, 0, 18)).toEqual([
      { start_min: 0, end_min: 390, temperature_c: 16, index: null },
      { start_min: 390, end_min: 1320, temperature_c: 20, index: 0 },
      { start_min: 1320, end_min: 1440, temperature_c: 16, index: 1 },
    ])
    expect(temperatureAt(days, 0, 600, 18)).toBe(20)
  })

  it('is the default temperature all day when the week has no switch points', () => {
    expect(daySegments(empty(), 2, 17.5)).toEqual([{ start_min: 0, end_min: 1440, temperature_c: 17.5, index: null }])
  })

  it('ignores a switch point whose time is still being typed', () => {
    const days = empty()
    days[1] = [{ time: '07:00', temperature_c: 20 }, { time: '1', temperature_c: 25 }]
    expect(daySegments(days, 1, 18).map((s) => s.temperature_c)).toEqual([20, 20])
    expect(timeProblem('1')).not.toBeNull()
  })
})

describe('valveProgramNotice', () => {
  // Shaped as GET /api/rooms/{id}/valve-program answers (docs/api.md, "Valve program").
  const message = 'Monday has 9 periods; the valves hold 7 a day: 06:10–06:30 at 19 °C is folded into the 20 °C period 06:00–08:00.'

  it('says nothing when the valves hold the schedule exactly, or nothing is known', () => {
    expect(valveProgramNotice({ exact: true, message: 'The valves hold this schedule exactly.' })).toBeNull()
    expect(valveProgramNotice(null)).toBeNull()
    expect(valveProgramNotice({})).toBeNull()
  })

  it('explains a simplified program in the household’s words, with what was simplified', () => {
    const notice = valveProgramNotice({ exact: false, message })
    expect(notice).toMatch(/^Your radiator valves keep their own copy of this schedule/)
    expect(notice).toContain(message)
    expect(valveProgramNotice({ exact: false, message: '' })).not.toContain('undefined')
  })
})
