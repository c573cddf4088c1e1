// The house's open problems in words, their order, the banner, and the shared status poll.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import {
  PROBLEM_WORDS, checkedWords, deviceProblemWords, problemAdvice, problemTitle, problemsOf, sinceWords, sortProblems,
} from '../../src/problems.js'
import { formatClock } from '../../src/format.js'
import { createStatusPoll } from '../../src/statusPoll.js'
import ProblemsBanner from '../../src/components/ProblemsBanner.vue'
import RoomCard from '../../src/components/RoomCard.vue'

// Every code GET /api/status may report in `problems` (the brief for house health, docs/api.md "Status").
const CODES = ['valve_unreachable', 'bridge_unreachable', 'thermometer_stale', 'battery_low', 'boiler_unreachable',
  'controller_silent', 'meter_silent', 'valve_unpaired', 'adapter_stuck']

const NOW = new Date('2026-01-12T07:37:00Z')
const minutesAgo = (minutes) => new Date(NOW.getTime() - minutes * 60000).toISOString()

// Problems shaped as the status lists them.
const problem = (code, severity, minutes, subject = {}, message = `The server says ${code}.`) => ({
  code, severity, since: minutesAgo(minutes), message, subject: { kind: 'valve', id: 1, name: 'Window', ...subject },
})

describe('wording', () => {
  it('knows every code the API reports', () => {
    expect(Object.keys(PROBLEM_WORDS).sort()).toEqual([...CODES].sort())
  })

  it.each(CODES)('%s has a title and an advice in plain words', (code) => {
    const p = problem(code, 'error', 5)
    const title = problemTitle(p)
    const advice = problemAdvice(p)
    expect(title).not.toBe(p.message)
    expect(title.length).toBeGreaterThan(5)
    expect(advice.length).toBeGreaterThan(30)
    // No codes on the page.
    expect(`${title} ${advice}`).not.toMatch(/_|\bnull\b|undefined/)
  })

  it('says what the controller stopping means and what to do', () => {
    expect(problemTitle({ code: 'controller_silent' })).toBe('The heating controller has stopped')
    expect(problemAdvice({ code: 'controller_silent' })).toContain('docker compose restart onoff')
  })

  it('falls back to the server message for a code it does not know', () => {
    const unknown = problem('chimney_blocked', 'error', 5, {}, 'The chimney sweep is due.')
    expect(problemTitle(unknown)).toBe('The chimney sweep is due.')
    expect(problemAdvice(unknown)).toBe('')
    expect(deviceProblemWords(unknown, NOW)).toBe('The chimney sweep is due.')
  })

  it('says since when, and how long ago, in the home’s clock', () => {
    expect(sinceWords(minutesAgo(25), NOW)).toBe(`since ${formatClock(minutesAgo(25))}, 25 min ago`)
    expect(sinceWords(null, NOW)).toBe('')
    // Older than today: the day is named too.
    expect(sinceWords(minutesAgo(3 * 24 * 60), NOW)).toMatch(/^since [^\d\s].* \d\d:\d\d, 3 days ago$/)
  })

  it('puts a device’s own trouble in a few words', () => {
    const since = minutesAgo(25)
    expect(deviceProblemWords({ code: 'valve_unreachable', since }, NOW)).toBe(`not answering since ${formatClock(since)}`)
    expect(deviceProblemWords({ code: 'thermometer_stale', since }, NOW)).toBe(`silent since ${formatClock(since)}`)
    expect(deviceProblemWords(null, NOW)).toBe('')
  })

  it('says when a valve was last checked, and nothing while the API does not say', () => {
    expect(checkedWords(minutesAgo(3), NOW)).toBe('checked 3 min ago')
    expect(checkedWords(null, NOW)).toBe('not checked yet')
    expect(checkedWords(undefined, NOW)).toBe('')
  })
})

describe('order', () => {
  it('lists errors before warnings, the longest open first, and leaves the list given alone', () => {
    const given = [
      problem('battery_low', 'warning', 600, { kind: 'thermometer', id: 2 }),
      problem('valve_unreachable', 'error', 10),
      problem('meter_silent', 'warning', 30, { kind: 'meter', id: null }),
      problem('controller_silent', 'error', 40, { kind: 'controller', id: null }),
    ]
    const copy = [...given]
    expect(sortProblems(given).map((p) => p.code)).toEqual(['controller_silent', 'valve_unreachable', 'battery_low', 'meter_silent'])
    expect(given).toEqual(copy)
  })

  it('treats a status without a problems list as a house without problems', () => {
    expect(problemsOf({ time: NOW.toISOString(), rooms: [] })).toEqual([])
    expect(problemsOf(null)).toEqual([])
    expect(problemsOf({ problems: [problem('battery_low', 'warning', 1)] })).toHaveLength(1)
  })
})

describe('ProblemsBanner', () => {
  const STALE = problem('thermometer_stale', 'warning', 65, { kind: 'thermometer', id: 2, name: 'Bedroom' },
    'The bedroom thermometer has not been heard for an hour.')
  const VALVE = problem('valve_unreachable', 'error', 25, {}, 'The valve Window in the living room does not answer.')
  const CONTROLLER = problem('controller_silent', 'error', 5, { kind: 'controller', id: null, name: null },
    'The control loop has not ticked for 5 minutes.')

  it('shows nothing at all when the house has no problems', () => {
    const wrapper = mount(ProblemsBanner, { props: { problems: [], now: NOW } })
    expect(wrapper.find('[data-test=problems-banner]').exists()).toBe(false)
    expect(wrapper.find('[data-test=problems-alert]').text()).toBe('')
  })

  it('lists each problem with its title, the server’s words, since when and what to do, errors first', () => {
    const wrapper = mount(ProblemsBanner, { props: { problems: [STALE, VALVE], now: NOW } })
    const items = wrapper.findAll('[data-test=house-problem]')
    expect(items.map((li) => li.attributes('data-severity'))).toEqual(['error', 'warning'])
    expect(items[0].find('[data-test=problem-title]').text()).toBe('A radiator valve does not answer')
    expect(items[0].find('[data-test=problem-message]').text()).toBe(VALVE.message)
    expect(items[0].find('[data-test=problem-since]').text()).toBe(`since ${formatClock(VALVE.since)}, 25 min ago`)
    expect(items[0].find('[data-test=problem-advice]').text()).toBe(`What to do: ${PROBLEM_WORDS.valve_unreachable.advice}`)
    expect(items[0].text()).toContain('Problem:')
    expect(items[1].text()).toContain('Warning:')
    expect(items[1].find('[data-test=problem-title]').text()).toBe('A thermometer is silent')
    expect(wrapper.text()).not.toMatch(/valve_unreachable|thermometer_stale/)
  })

  it('shows an unknown problem in the server’s words once, without advice', () => {
    const odd = problem('chimney_blocked', 'error', 5, {}, 'The chimney sweep is due.')
    const wrapper = mount(ProblemsBanner, { props: { problems: [odd], now: NOW } })
    expect(wrapper.find('[data-test=problem-title]').text()).toBe('The chimney sweep is due.')
    expect(wrapper.find('[data-test=problem-message]').exists()).toBe(false)
    expect(wrapper.find('[data-test=problem-advice]').exists()).toBe(false)
  })

  it('alerts a screen reader to a new error once, not at every poll, and never to a warning', async () => {
    const wrapper = mount(ProblemsBanner, { props: { problems: [STALE], now: NOW } })
    const alert = () => wrapper.find('[role=alert]')
    expect(alert().text()).toBe('')

    await wrapper.setProps({ problems: [STALE, VALVE], now: NOW })
    expect(alert().text()).toBe(`New problem: A radiator valve does not answer. ${VALVE.message}`)

    // The next polls: the same problems as fresh objects, a later time. The alert's words stay as they were.
    const alertNode = alert().element
    const later = new Date(NOW.getTime() + 60000)
    await wrapper.setProps({ problems: [{ ...VALVE }, { ...STALE }], now: later })
    expect(alert().element).toBe(alertNode)
    expect(alert().text()).toBe(`New problem: A radiator valve does not answer. ${VALVE.message}`)
    expect(wrapper.find('[data-test=problem-since]').text()).toContain('26 min ago')

    await wrapper.setProps({ problems: [VALVE, STALE, CONTROLLER], now: later })
    expect(alert().text()).toBe(`New problem: The heating controller has stopped. ${CONTROLLER.message}`)

    // Everything mended: nothing stale left to read.
    await wrapper.setProps({ problems: [STALE], now: later })
    expect(alert().text()).toBe('')
    expect(wrapper.find('[data-test=problems-banner]').classes()).toContain('has-warning')
  })

  it('is not itself the alert, so its ticking times are never read out', () => {
    const wrapper = mount(ProblemsBanner, { props: { problems: [VALVE], now: NOW } })
    expect(wrapper.find('[data-test=problems-banner]').attributes('role')).toBeUndefined()
    expect(wrapper.find('[role=alert] [data-test=problem-since]').exists()).toBe(false)
  })
})

describe('RoomCard with device health', () => {
  // A room of GET /api/status with the health fields (`checked_at`, `problem`) on its devices.
  const ROOM = {
    id: 1, name: 'Living room', temperature_c: 19.4, humidity_pct: 48, battery_pct: 93, reading_time: minutesAgo(1),
    reading_age_s: 60, in_sync: true, target_c: 20, target_source: 'schedule', override: null, control: 'auto',
    thermometers: [{ id: 1, mac: 'A4:C1:38:11:22:33', name: 'Living', checked_at: minutesAgo(1), problem: null }],
    valves: [
      { id: 1, mac: '00:1A:22:0C:3B:5D', name: 'Window', checked_at: minutesAgo(3), problem: null,
        state: { time: minutesAgo(3), state: 'closed', valve_pct: 0, mode: 'manual' } },
      { id: 2, mac: '00:1A:22:0C:3B:5E', name: 'Door', checked_at: minutesAgo(25),
        problem: { code: 'valve_unreachable', since: minutesAgo(25), message: 'The valve Door does not answer.' },
        state: { time: minutesAgo(40), state: 'open', valve_pct: 100, mode: 'manual' } },
    ],
  }

  it('shows when each valve was checked and which one does not answer, next to it', () => {
    const wrapper = mount(RoomCard, { props: { room: ROOM, now: NOW } })
    expect(wrapper.findAll('[data-test=valve-checked]').map((c) => c.text())).toEqual([', checked 3 min ago', ', checked 25 min ago'])
    expect(wrapper.findAll('[data-test=valve-state]').map((c) => c.text())).toEqual(['closed, 0\u00a0%', 'open, 100\u00a0%'])
    const problems = wrapper.findAll('[data-test=valve-problem]')
    expect(problems).toHaveLength(1)
    expect(problems[0].text()).toBe(`not answering since ${formatClock(minutesAgo(25))}`)
    expect(wrapper.find('[data-test=thermometer-problem]').exists()).toBe(false)
  })

  it('shows a silent thermometer next to it', () => {
    const silent = { ...ROOM.thermometers[0], problem: { code: 'thermometer_stale', since: minutesAgo(65), message: 'Silent.' } }
    const wrapper = mount(RoomCard, { props: { room: { ...ROOM, thermometers: [silent] }, now: NOW } })
    expect(wrapper.find('[data-test=thermometer-problem]').text()).toBe(`silent since ${formatClock(minutesAgo(65))}`)
  })

  it('shows no checked line while the API does not report one', () => {
    const older = { ...ROOM, valves: ROOM.valves.map(({ checked_at, problem, ...valve }) => valve) }
    const wrapper = mount(RoomCard, { props: { room: older, now: NOW } })
    expect(wrapper.find('[data-test=valve-checked]').exists()).toBe(false)
    expect(wrapper.find('[data-test=valve-problem]').exists()).toBe(false)
  })
})

describe('the shared status poll', () => {
  // A tab's visibility as the poll sees it.
  class FakeDocument extends EventTarget {
    visibilityState = 'visible'
    hide(hidden) {
      this.visibilityState = hidden ? 'hidden' : 'visible'
      this.dispatchEvent(new Event('visibilitychange'))
    }
  }
  let doc
  let loads
  let poll
  beforeEach(() => {
    vi.useFakeTimers()
    doc = new FakeDocument()
    loads = 0
    poll = createStatusPoll({
      load: async () => ({ time: new Date().toISOString(), n: (loads += 1) }),
      intervalMs: 60000, firstDelayMs: 2000, doc, clock: () => Date.now(),
    })
  })
  afterEach(() => {
    poll.stop()
    vi.useRealTimers()
  })

  it('asks once a minute while the tab is shown, and not at all while it is hidden', async () => {
    poll.start()
    await vi.advanceTimersByTimeAsync(2000)
    expect(loads).toBe(1)
    await vi.advanceTimersByTimeAsync(60000)
    expect(loads).toBe(2)
    doc.hide(true)
    expect(poll.running).toBe(false)
    await vi.advanceTimersByTimeAsync(10 * 60000)
    expect(loads).toBe(2)
    doc.hide(false)
    await vi.advanceTimersByTimeAsync(0)
    expect(loads).toBe(3)
    expect(poll.shared.status.n).toBe(3)
  })

  it('does not ask while a view has just published the status', async () => {
    poll.start()
    poll.publish({ time: 'from the view' })
    await vi.advanceTimersByTimeAsync(2000)
    expect(loads).toBe(0)
    expect(poll.shared.status.time).toBe('from the view')
    // The view publishes again at 30 s: the poll's minute finds it fresh.
    await vi.advanceTimersByTimeAsync(28000)
    poll.publish({ time: 'from the view again' })
    await vi.advanceTimersByTimeAsync(30000)
    expect(loads).toBe(0)
    // The view is gone (setup): the poll asks itself.
    await vi.advanceTimersByTimeAsync(60000)
    expect(loads).toBe(1)
  })

  it('keeps the last status when the controller cannot be reached', async () => {
    const failing = createStatusPoll({ load: async () => { throw new Error('unreachable') }, doc, firstDelayMs: 0 })
    failing.publish({ time: 'earlier', problems: [] })
    await vi.advanceTimersByTimeAsync(61000)
    await failing.poll()
    expect(failing.shared.status.time).toBe('earlier')
    failing.stop()
  })
})
