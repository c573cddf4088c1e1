// The "signed in on these devices" list, its API calls going to a real HTTP server
// answering as controller_api does (GET /api/sessions, DELETE /api/sessions/{id}).
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createApi } from '../../src/api.js'
import SessionsPanel from '../../src/components/SessionsPanel.vue'
import { nodeFetch, startServer } from './httpServer.js'

let server
afterEach(async () => {
  await server?.close()
  server = null
})

async function settle() {
  for (let i = 0; i < 10; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    await flushPromises()
  }
}

const minutesAgo = (m) => new Date(Date.now() - m * 60_000).toISOString()

describe('SessionsPanel', () => {
  it('lists the devices and signs one out on the server', async () => {
    let sessions = [
      { id: 7, user_agent: 'Safari on a phone', client: '192.168.1.23', created_at: minutesAgo(3000), last_seen_at: minutesAgo(5), expires_at: minutesAgo(-9000), current: false },
      { id: 9, user_agent: 'Firefox on the tablet', client: '192.168.1.40', created_at: minutesAgo(60), last_seen_at: minutesAgo(0), expires_at: minutesAgo(-9000), current: true },
    ]
    server = await startServer({
      'GET /api/sessions': () => ({ status: 200, body: { sessions } }),
      'DELETE /api/sessions/7': () => {
        sessions = sessions.filter((s) => s.id !== 7)
        return { status: 204 }
      },
    })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(SessionsPanel, { props: { api } })
    await settle()
    expect(wrapper.text()).toContain('Signed in on these devices')
    const rows = wrapper.findAll('[data-test=session-row]')
    expect(rows.map((r) => r.text())).toEqual([
      expect.stringContaining('Safari on a phone'),
      expect.stringContaining('Firefox on the tablet (this device)'),
    ])
    expect(rows[0].text()).toContain('192.168.1.23')
    expect(rows[0].text()).toContain('last used 5 min ago')

    await rows[0].find('[data-test=session-end]').trigger('click')
    await settle()
    expect(server.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/api/sessions/7'])
    expect(wrapper.findAll('[data-test=session-row]')).toHaveLength(1)
    expect(wrapper.emitted('ended-own')).toBeUndefined()
  })

  it('says so when it cannot end a session, and tells the page when its own ended', async () => {
    server = await startServer({
      'GET /api/sessions': () => ({ status: 200, body: { sessions: [{ id: 9, user_agent: null, client: null, created_at: minutesAgo(1), last_seen_at: minutesAgo(1), expires_at: minutesAgo(-100), current: true }] } }),
      'DELETE /api/sessions/9': () => ({ status: 204 }),
    })
    const api = createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch })
    const wrapper = mount(SessionsPanel, { props: { api } })
    await settle()
    expect(wrapper.text()).toContain('Unknown browser (this device)')
    await wrapper.find('[data-test=session-end]').trigger('click')
    await settle()
    expect(wrapper.emitted('ended-own')).toHaveLength(1)

    await server.close()
    server = await startServer({
      'GET /api/sessions': () => ({ status: 200, body: { sessions: [{ id: 3, user_agent: 'x', client: 'y', created_at: minutesAgo(1), last_seen_at: minutesAgo(1), expires_at: minutesAgo(-100), current: false }] } }),
      'DELETE /api/sessions/3': () => ({ status: 404, body: { title: 'Not Found', status: 404, detail: 'no session with id 3' } }),
    })
    const other = mount(SessionsPanel, { props: { api: createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch }) } })
    await settle()
    await other.find('[data-test=session-end]').trigger('click')
    await settle()
    expect(other.find('[role=alert]').text()).toContain('no session with id 3')
  })
})
