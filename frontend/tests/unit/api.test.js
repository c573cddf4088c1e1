// The client against a real HTTP server answering as docs/api.md describes.
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError, ApiUnreachable, createApi, describeProblem, listOf } from '../../src/api.js'
import { nodeFetch, startServer } from './httpServer.js'

let server
afterEach(async () => {
  await server?.close()
  server = null
})

function client(options = {}) {
  return createApi({ baseUrl: `${server.url}/api`, fetchImpl: nodeFetch, ...options })
}

// The problem of docs/api.md ("Errors"), as the API sends it for a bad temperature.
const PROBLEM_422 = {
  type: 'about:blank', title: 'Unprocessable Content', status: 422,
  detail: 'temperature_c: Input should be less than or equal to 30',
  errors: [{ field: 'temperature_c', message: 'Input should be less than or equal to 30' }],
}

describe('the API client', () => {
  it('sends JSON and returns the answer', async () => {
    server = await startServer({
      'PUT /api/rooms/3/schedule': (_, body) => ({ status: 200, body }),
    })
    const answer = await client().saveSchedule(3, [{ weekday: 0, time: '06:30', temperature_c: 20 }])
    expect(answer).toEqual({ switch_points: [{ weekday: 0, time: '06:30', temperature_c: 20 }] })
    expect(server.requests[0].headers['content-type']).toBe('application/json')
  })

  it('shows the problem’s detail when the API refuses', async () => {
    server = await startServer({ 'PUT /api/rooms/1/override': () => ({ status: 422, body: PROBLEM_422 }) })
    const error = await client().setOverride(1, 31, 'next_switch').catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.status).toBe(422)
    expect(error.message).toBe('temperature_c: Input should be less than or equal to 30')
    expect(error.fieldErrors).toEqual(PROBLEM_422.errors)
  })

  it('asks for the login on a 401, but not for a wrong password', async () => {
    // Both details as home-heating's controller_api/auth.py words them.
    server = await startServer({
      'PUT /api/mode': () => ({ status: 401, body: { title: 'Unauthorized', status: 401, detail: 'log in with the household password, or send the service token' } }),
      'POST /api/login': () => ({ status: 401, body: { title: 'Unauthorized', status: 401, detail: 'wrong password' } }),
    })
    const asked = []
    const api = client({ onUnauthorized: (error) => asked.push(error.status) })
    const refused = await api.setMode({ mode: 'away' }).catch((e) => e)
    expect(refused.isUnauthorized).toBe(true)
    expect(refused.message).toMatch(/not logged in, so nothing was changed/)
    expect(refused.message).toMatch(/log in with the household password, or send the service token/)
    const wrong = await api.login('guess').catch((e) => e)
    expect(wrong.problem.detail).toBe('wrong password')
    expect(asked).toEqual([401])
  })

  it('explains an answer that is not a problem (a proxy’s error page)', async () => {
    server = await startServer({ 'GET /api/status': () => ({ status: 502, body: '<html>Bad Gateway</html>' }) })
    const error = await client().status().catch((e) => e)
    expect(error.message).toMatch(/^The heating controller had a problem \(HTTP 502\)/)
    expect(error.message).toMatch(/Nothing was changed/)
  })

  it('says when the controller cannot be reached', async () => {
    server = await startServer({})
    const url = server.url
    await server.close()
    server = null
    const api = createApi({ baseUrl: `${url}/api`, fetchImpl: nodeFetch })
    const error = await api.status().catch((e) => e)
    expect(error).toBeInstanceOf(ApiUnreachable)
    expect(error.message).toMatch(/cannot be reached/)
  })

  it('gives up after its timeout', async () => {
    server = await startServer({ 'GET /api/status': () => ({ hang: true }) })
    const error = await client({ timeoutMs: 200 }).status().catch((e) => e)
    expect(error).toBeInstanceOf(ApiUnreachable)
    expect(error.message).toMatch(/did not answer in time/)
  })

  it('treats an empty answer (204) as null and sends query parameters', async () => {
    server = await startServer({
      'DELETE /api/rooms/2/override': () => ({ status: 204 }),
      'GET /api/rooms/2/history': () => ({ status: 200, body: { readings: [] } }),
    })
    expect(await client().endOverride(2)).toBeNull()
    await client().history(2, '2026-01-12T00:00:00.000Z', '2026-01-13T00:00:00.000Z')
    expect(server.requests[1].query).toEqual({ from: '2026-01-12T00:00:00.000Z', to: '2026-01-13T00:00:00.000Z' })
  })
})

describe('describeProblem', () => {
  // The 409 detail as home-heating's controller_api/rooms.py words it (delete_room).
  it.each([
    [409, { title: 'Conflict', status: 409, detail: 'room 1 still has 1 valve(s); move or delete them first' }, '', 'room 1 still has 1 valve(s); move or delete them first'],
    [404, { title: 'Not Found', status: 404 }, '', 'Not Found (HTTP 404)'],
    [400, null, 'not json', 'The heating controller refused this (HTTP 400): not json.'],
  ])('HTTP %i', (status, problem, text, words) => {
    expect(describeProblem(status, problem, text)).toBe(words)
  })
})

describe('listOf', () => {
  it('takes the list out of the API’s wrapper', () => {
    expect(listOf({ rooms: [{ id: 1 }] }, 'rooms')).toEqual([{ id: 1 }])
    expect(listOf([{ id: 2 }], 'rooms')).toEqual([{ id: 2 }])
    expect(listOf(null, 'rooms')).toEqual([])
  })
})

it('tells a refused read from a refused change', async () => {
  // Detail as home-heating's controller_api/auth.py words it.
  const refusal = () => ({ status: 401, body: { title: 'Unauthorized', status: 401, detail: 'log in with the household password, or send the service token' } })
  server = await startServer({ 'GET /api/status': refusal, 'PATCH /api/rooms/1': refusal })
  const methods = []
  const api = client({ onUnauthorized: (error) => methods.push(error.method) })
  await api.status().catch(() => {})
  await api.updateRoom(1, { name: 'Lounge' }).catch(() => {})
  expect(methods).toEqual(['GET', 'PATCH'])
})
