// The components in a DOM, their API calls going to a real HTTP server.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createApi } from '../../src/api.js'
import ScheduleEditor from '../../src/components/ScheduleEditor.vue'
import DayBar from '../../src/components/DayBar.vue'
import RoomCard from '../../src/components/RoomCard.vue'
import EntitySection from '../../src/components/EntitySection.vue'
import ModePanel from '../../src/components/ModePanel.vue'
import OverridePanel from '../../src/components/OverridePanel.vue'
import ValvePairing from '../../src/components/ValvePairing.vue'
import { daysFromApi } from '../../src/schedule.js'
import { nodeFetch, startServer } from './httpServer.js'

let server
afterEach(async () => {
  await server?.close()
  server = null
})

// Schedules shaped as home-heating's docs/api.md ("Schedule") shows them.
const WEEK = [
  { weekday: 0, time: '06:30', temperature_c: 20.0 },
  { weekday: 0, time: '22:00', temperature_c: 16.0 },
]

async function scheduleServer({ refuse = null } = {}) {
  let stored = WEEK
  server = await startServer({
    'GET /api/rooms/1/schedule': () => ({ status: 200, body: { switch_points: stored } }),
    'PUT /api/rooms/1/schedule': (_, body) => {
      if (refuse) return refuse
      stored = body.switch_points
      return { status: 200, body: { switch_points: stored } }
    },
  })
  return createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
}

async function settle() {
  // The HTTP round trip happens outside Vue's queue: wait for it, then for the render.
  for (let i = 0; i < 10; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    await flushPromises()
  }
}

describe('ScheduleEditor', () => {
  it('loads the week, edits a day and saves exactly that', async () => {
    const api = await scheduleServer()
    const wrapper = mount(ScheduleEditor, { props: { roomId: 1, roomName: 'Living room', defaultTempC: 18, api } })
    await settle()
    const monday = wrapper.find('[data-weekday="0"][data-test=day]')
    expect(monday.findAll('[data-test=point]')).toHaveLength(2)
    expect(wrapper.find('[data-test=schedule-save]').attributes('disabled')).toBeDefined()

    await monday.findAll('[data-test=point-temp]')[0].setValue('21.5')
    await monday.findAll('[data-test=point-delete]')[1].trigger('click')
    await monday.find('[data-test=copy-to-4]').setValue(true)
    await monday.find('[data-test=copy-apply]').trigger('click')
    await wrapper.find('[data-test=schedule-save]').trigger('click')
    await settle()

    const put = server.requests.find((r) => r.method === 'PUT')
    expect(put.body).toEqual({ switch_points: [
      { weekday: 0, time: '06:30', temperature_c: 21.5 },
      { weekday: 4, time: '06:30', temperature_c: 21.5 },
    ] })
    expect(wrapper.find('[data-test=schedule-saved]').text()).toContain('Living room')
  })

  it('does not send a week the API would refuse, and says why', async () => {
    const api = await scheduleServer()
    const wrapper = mount(ScheduleEditor, { props: { roomId: 1, defaultTempC: 18, api } })
    await settle()
    await wrapper.findAll('[data-test=point-temp]')[0].setValue('35')
    expect(wrapper.find('[data-test=schedule-problems]').text()).toContain('Monday, 06:30: the temperature must be between 5 and 30 °C')
    expect(wrapper.find('[data-test=schedule-save]').attributes('disabled')).toBeDefined()
    await wrapper.find('[data-test=schedule-save]').trigger('click')
    await settle()
    expect(server.requests.filter((r) => r.method === 'PUT')).toHaveLength(0)
  })

  it('shows the API’s detail when it refuses the save, and keeps the edits', async () => {
    const api = await scheduleServer({ refuse: { status: 404, body: { type: 'about:blank', title: 'Not Found', status: 404, detail: 'room 1 not found' } } })
    const wrapper = mount(ScheduleEditor, { props: { roomId: 1, defaultTempC: 18, api } })
    await settle()
    await wrapper.find('[data-test=point-add]').trigger('click')
    await wrapper.find('[data-test=schedule-save]').trigger('click')
    await settle()
    expect(wrapper.find('[data-test=schedule-save-error]').text()).toBe('Not saved: room 1 not found')
    expect(wrapper.findAll('[data-weekday="0"] [data-test=point]')).toHaveLength(3)
  })
})

describe('ScheduleEditor and the valves’ own program', () => {
  async function programServer(program) {
    server = await startServer({
      'GET /api/rooms/1/schedule': () => ({ status: 200, body: { switch_points: WEEK } }),
      'GET /api/rooms/1/valve-program': () => ({ status: 200, body: program }),
    })
    return createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
  }
  const days = { mon: [{ until: '06:00', temperature_c: 17.0 }, { until: '24:00', temperature_c: 20.0 }] }

  it('tells the household when the valves hold a simplified schedule', async () => {
    const message = 'Monday has 9 periods; the valves hold 7 a day: 06:10–06:30 at 19 °C is folded into the 20 °C period 06:00–08:00.'
    const api = await programServer({ room_id: 1, version: 'a1', exact: false, message, days })
    const wrapper = mount(ScheduleEditor, { props: { roomId: 1, defaultTempC: 18, api } })
    await settle()
    const notice = wrapper.find('[data-test=valve-program-notice]')
    expect(notice.exists()).toBe(true)
    expect(notice.text()).toContain('Your radiator valves')
    expect(notice.text()).toContain(message)
  })

  it('says nothing when the valves hold it exactly', async () => {
    const api = await programServer({ room_id: 1, version: 'a2', exact: true, message: 'The valves hold this schedule exactly.', days })
    const wrapper = mount(ScheduleEditor, { props: { roomId: 1, defaultTempC: 18, api } })
    await settle()
    expect(wrapper.findAll('[data-weekday="0"] [data-test=point]')).toHaveLength(2)
    expect(wrapper.find('[data-test=valve-program-notice]').exists()).toBe(false)
  })
})

describe('DayBar', () => {
  function mountBar(points) {
    const days = daysFromApi(points)
    const wrapper = mount(DayBar, { props: { days, weekday: 0, defaultTempC: 18 }, attachTo: document.body })
    // The DOM here has no layout: give the bar the size a phone would.
    wrapper.find('[data-test=daybar]').element.getBoundingClientRect = () => ({ left: 10, width: 960, top: 0, height: 38 })
    return wrapper
  }

  it('adds a switch point where the bar is tapped, on the quarter hour', async () => {
    const wrapper = mountBar(WEEK)
    await wrapper.find('[data-test=daybar]').trigger('click', { clientX: 10 + 480 + 3 })
    expect(wrapper.emitted('add')).toEqual([[720]])
    wrapper.unmount()
  })

  it('moves a marker with the arrow keys', async () => {
    const wrapper = mountBar(WEEK)
    const handle = wrapper.find('[data-test=handle][data-time="06:30"]')
    await handle.trigger('keydown', { key: 'ArrowRight' })
    await handle.trigger('keydown', { key: 'ArrowUp' })
    expect(wrapper.emitted('move')).toEqual([[0, '06:45'], [0, '07:30']])
    wrapper.unmount()
  })

  it('labels the day in words for screen readers', () => {
    const wrapper = mountBar(WEEK)
    expect(wrapper.find('[data-test=daybar]').attributes('aria-label')).toBe('Monday: 00:00 16 °C, 06:30 20 °C, 22:00 16 °C')
    wrapper.unmount()
  })
})

describe('RoomCard', () => {
  // A room of GET /api/status as in home-heating's docs/api.md ("Status"), its thermometer silent.
  const STALE = {
    id: 2, name: 'Bedroom', temperature_c: 16.2, humidity_pct: 55, battery_pct: 9, reading_time: '2026-01-12T03:30:00Z',
    reading_age_s: 7200, in_sync: false, target_c: 18, target_source: 'schedule', override: null,
    next_switch_point: { weekday: 1, time: '07:00', temperature_c: 18, at: '2026-01-13T06:00:00Z' },
    thermometers: [{ id: 2, mac: 'A4:C1:38:44:55:66', name: null }], valves: [], control: 'auto',
  }

  it('makes a stale thermometer stand out in words, not colour alone', () => {
    const wrapper = mount(RoomCard, { props: { room: STALE, now: new Date('2026-01-12T05:30:00Z') } })
    expect(wrapper.classes()).toContain('has-error')
    const problems = wrapper.findAll('.problems li').map((li) => li.text())
    expect(problems[0]).toContain('Problem:')
    expect(problems[0]).toContain('Thermometer silent for 2 h')
    expect(problems[1]).toContain('battery low (9 %)')
    expect(wrapper.find('[data-test=room-target]').text()).toContain('by the schedule')
  })
})

describe('EntitySection', () => {
  // A room as GET /api/rooms lists it (home-heating docs/api.md, "Rooms").
  const ROOM = { id: 1, name: 'Living room', sort_order: 0, default_temp_c: 18.0, frost_temp_c: 7.0, control: 'auto' }
  const FIELDS = [
    { key: 'name', label: 'Name', required: true },
    { key: 'default_temp_c', label: 'Default', type: 'number' },
    { key: 'frost_temp_c', label: 'Frost', type: 'number' },
    { key: 'control', label: 'Control', type: 'select', options: [{ value: 'auto', label: 'auto' }, { value: 'manual', label: 'manual' }] },
  ]

  async function mountRooms(routes) {
    server = await startServer(routes)
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    return mount(EntitySection, { props: {
      title: 'Rooms', kind: 'room', items: [ROOM], fields: FIELDS,
      summary: (r) => ({ title: r.name, detail: '' }),
      create: api.createRoom, update: api.updateRoom, remove: api.deleteRoom,
    } })
  }

  it('sends only what was changed', async () => {
    const wrapper = await mountRooms({ 'PATCH /api/rooms/1': (_, body) => ({ status: 200, body: { ...ROOM, ...body } }) })
    await wrapper.find('[data-test=entity-edit]').trigger('click')
    await wrapper.find('[data-field=name]').setValue('Lounge')
    await wrapper.find('[data-field=control]').setValue('manual')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(server.requests.map((r) => [r.method, r.path, r.body])).toEqual([['PATCH', '/api/rooms/1', { name: 'Lounge', control: 'manual' }]])
    expect(wrapper.emitted('changed')).toHaveLength(1)
  })

  it('shows the API’s refusal of a delete next to the room', async () => {
    // The 409 detail as home-heating's controller_api/rooms.py words it (delete_room).
    const detail = 'room 1 still has 1 valve(s); move or delete them first'
    const wrapper = await mountRooms({ 'DELETE /api/rooms/1': () => ({ status: 409, body: { type: 'about:blank', title: 'Conflict', status: 409, detail } }) })
    await wrapper.find('[data-test=entity-delete]').trigger('click')
    await wrapper.find('[data-test=entity-delete-confirm]').trigger('click')
    await settle()
    expect(wrapper.find('[data-test=entity-error]').text()).toBe(detail)
    expect(wrapper.emitted('changed')).toBeUndefined()
  })
})

describe('ModePanel', () => {
  // The house mode as GET /api/mode answers it (home-heating docs/api.md, "House mode").
  const HOME = { mode: 'home', away_temp_c: 15.0, holiday_temp_c: 12.0, holiday_until: null }

  it('needs a return date for a holiday and sends it as a date', async () => {
    server = await startServer({ 'PUT /api/mode': (_, body) => ({ status: 200, body }) })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(ModePanel, { props: { mode: HOME, api } })
    await wrapper.find('[data-test=mode-edit]').trigger('click')
    await wrapper.find('[data-test=mode-holiday]').setValue(true)
    expect(wrapper.text()).toContain('Choose the day you come back.')
    expect(wrapper.find('[data-test=mode-save]').attributes('disabled')).toBeDefined()
    await wrapper.find('[data-test=holiday-until]').setValue('2026-02-01')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(server.requests[0].body).toEqual({ mode: 'holiday', away_temp_c: 15, holiday_temp_c: 12, holiday_until: '2026-02-01' })
    expect(wrapper.emitted('changed')).toHaveLength(1)
  })

  it('plans a holiday ahead with a first and a last day, and refuses them the wrong way round', async () => {
    server = await startServer({ 'PUT /api/mode': (_, body) => ({ status: 200, body }) })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(ModePanel, { props: { mode: HOME, api } })
    await wrapper.find('[data-test=mode-edit]').trigger('click')
    await wrapper.find('[data-test=mode-holiday]').setValue(true)
    await wrapper.find('[data-test=holiday-from]').setValue('2026-02-10')
    await wrapper.find('[data-test=holiday-until]').setValue('2026-02-01')
    expect(wrapper.text()).toContain('The day you leave must be before the day you come back.')
    await wrapper.find('[data-test=holiday-until]').setValue('2026-02-17')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(server.requests[0].body).toEqual({ mode: 'holiday', away_temp_c: 15, holiday_temp_c: 12, holiday_from: '2026-02-10', holiday_until: '2026-02-17' })
  })

  it('says when a holiday is planned, and what summer means', () => {
    const planned = mount(ModePanel, { props: { mode: { ...HOME, planned_holiday: { from: '2026-02-09T23:00:00Z', until: '2026-02-16T23:00:00Z' } } } })
    expect(planned.find('[data-test=mode-summary]').text()).toMatch(/^Home: rooms follow their schedules\. Holiday planned from \w+ \d+ Feb/)
    const summer = mount(ModePanel, { props: { mode: { ...HOME, mode: 'summer' } } })
    expect(summer.find('[data-test=mode-summary]').text()).toContain('Summer: heating off')
  })
})

describe('OverridePanel', () => {
  const ROOM = { id: 3, name: 'Study', target_c: 17.5, target_source: 'default', override: null }
  const NOW = new Date('2026-01-12T05:30:00Z')

  it('sets an override until it is ended, and says so', async () => {
    server = await startServer({ 'PUT /api/rooms/3/override': (_, body) => ({ status: 200, body: { override: body } }) })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(OverridePanel, { props: { room: ROOM, now: NOW, api } })
    await wrapper.find('[data-test=until-cancelled]').setValue(true)
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(server.requests[0].body).toEqual({ temperature_c: 17.5, until: 'cancelled' })
    const held = mount(OverridePanel, { props: { room: { ...ROOM, target_source: 'override',
      override: { kind: 'manual', temperature_c: 17.5, starts_at: '2026-01-12T05:00:00Z', ends_at: null } }, now: NOW, api } })
    expect(held.find('[data-test=override-active]').text()).toContain('Set by hand: 17.5\u00a0°C until you end it.')
  })

  it('shows the API’s words when it refuses an override', async () => {
    // The 422 detail as home-heating's controller_api/rooms.py words it (put_override).
    const detail = 'until: this room has no switch points; give a time'
    server = await startServer({ 'PUT /api/rooms/3/override': () => ({ status: 422, body: { type: 'about:blank', title: 'Unprocessable Content', status: 422, detail } }) })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(OverridePanel, { props: { room: ROOM, now: NOW, api } })
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(server.requests[0].body).toEqual({ temperature_c: 17.5, until: 'next_switch' })
    expect(wrapper.find('[data-test=override-error]').text()).toBe(detail)
    expect(wrapper.emitted('changed')).toBeUndefined()
  })

  it('sends an end time as an instant with its offset, and a boost in minutes', async () => {
    server = await startServer({
      'PUT /api/rooms/3/override': (_, body) => ({ status: 200, body: { override: { kind: 'manual', ...body } } }),
      'POST /api/rooms/3/boost': (_, body) => ({ status: 200, body: { override: { kind: 'boost', temperature_c: 30 } } }),
    })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(OverridePanel, { props: { room: ROOM, now: NOW, api } })
    await wrapper.find('[data-test=override-temp]').setValue('21')
    await wrapper.find('[data-test=until-time]').setValue(true)
    await wrapper.find('[data-test=override-until-date]').setValue('2030-01-12')
    await wrapper.find('[data-test=override-until-time]').setValue('2300')
    await wrapper.find('[data-test=override-until-time]').trigger('change')
    await wrapper.find('form').trigger('submit')
    await settle()
    await wrapper.find('[data-test=boost-30]').trigger('click')
    await settle()
    const [override, boost] = server.requests
    expect(override.body.temperature_c).toBe(21)
    expect(new Date(override.body.until).getTime()).toBe(new Date('2030-01-12T23:00').getTime())
    expect(override.body.until).toMatch(/Z$|[+-]\d\d:\d\d$/)
    expect(boost.body).toEqual({ minutes: 30 })
  })
})

describe('ValvePairing', () => {
  const VALVES = [{ id: 3, mac: '00:1A:22:0C:3B:5D', name: 'Window' }]

  async function pairingServer() {
    const asked = []
    server = await startServer({
      'POST /api/valves/3/pair': (_, body) => {
        asked.push(body.pin)
        if (body.pin !== '428715') {
          return { status: 422, body: { type: 'about:blank', title: 'Unprocessable Content', status: 422,
            detail: 'the valve refused this PIN: enter the 6 digits its display shows while it says PAir' } }
        }
        return { status: 200, body: { valve_id: 3, mac: '00:1A:22:0C:3B:5D', paired: true } }
      },
    })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    return { api, asked }
  }

  it('asks for the PIN on the display, says when the valve refused it, and when it is paired', async () => {
    const { api, asked } = await pairingServer()
    const wrapper = mount(ValvePairing, { props: { valves: VALVES, pair: api.pairValve } })
    expect(wrapper.text()).toContain('enter the PIN shown on its display')
    await wrapper.find('[data-field=pair-valve]').setValue('3')
    await wrapper.find('[data-field=pair-pin]').setValue('12345')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(wrapper.find('[data-test=pair-error]').text()).toContain('6 digits')
    expect(asked).toEqual([])
    await wrapper.find('[data-field=pair-pin]').setValue('428716')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(wrapper.find('[data-test=pair-error]').text()).toContain('the valve refused this PIN')
    await wrapper.find('[data-field=pair-pin]').setValue('428715')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(asked).toEqual(['428716', '428715'])
    expect(wrapper.find('[data-test=pair-done]').text()).toContain('Window')
    expect(wrapper.find('[data-test=pair-error]').exists()).toBe(false)
  })
})
