// The one HTTP client of the page. It speaks to the controller API under /api
// and turns every failure into an error a person can read.
import { t } from './i18n.js'

export const REQUEST_TIMEOUT_MS = 15000
// Set by public/sw.js on a status it kept, when it answers from that copy.
export const SAVED_AT_HEADER = 'X-Heating-Saved-At'

/** The API answered with an error (an RFC 9457 problem, or something that is not one). */
export class ApiError extends Error {
  constructor(status, problem, fallbackText = '') {
    super(describeProblem(status, problem, fallbackText))
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
    this.fieldErrors = Array.isArray(problem?.errors) ? problem.errors : []
  }

  /** True when the request was refused for lack of credentials. */
  get isUnauthorized() {
    return this.status === 401
  }
}

/** The API could not be reached at all (network, timeout): nothing was changed. */
export class ApiUnreachable extends Error {
  constructor(cause) {
    super(
      cause?.name === 'AbortError'
        ? t('The heating controller did not answer in time. Nothing was changed; try again in a moment.')
        : t('The heating controller cannot be reached. Check that the Pi is on and connected; nothing was changed.'),
    )
    this.name = 'ApiUnreachable'
    this.cause = cause
  }
}

/**
 * The words to show for a refused request: the problem's `detail` when the
 * API gave one (it names the field and what is wrong), else its title, else the
 * status. A 401 always explains that logging in is needed.
 */
export function describeProblem(status, problem, fallbackText = '') {
  if (status === 401) {
    const detail = problem?.detail ? t(' (The controller said: {detail}.)', { detail: problem.detail }) : ''
    return t('You are not logged in, so nothing was changed: log in with the household password.') + detail
  }
  if (problem && typeof problem === 'object') {
    if (problem.detail) return String(problem.detail)
    if (problem.title) return `${problem.title} (HTTP ${status})`
  }
  const text = String(fallbackText || '').trim().slice(0, 200)
  if (status >= 500) {
    return t('The heating controller had a problem (HTTP {status}){text}. Nothing was changed.', { status, text: text ? `: ${text}` : '' })
  }
  return t('The heating controller refused this (HTTP {status}){text}.', { status, text: text ? `: ${text}` : '' })
}

function query(params) {
  const entries = Object.entries(params || {}).filter(([, value]) => value !== undefined && value !== null && value !== '')
  if (!entries.length) return ''
  return '?' + new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()
}

/**
 * Creates the client. `onUnauthorized` is called (with the ApiError) whenever
 * the API answers 401, so the page can show the login.
 */
export function createApi({ baseUrl = '/api', fetchImpl, onUnauthorized, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args))
  const root = baseUrl.replace(/\/$/, '')

  async function request(method, path, body, { reportUnauthorized = true } = {}) {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    const init = { method, headers: { Accept: 'application/json, application/problem+json' }, credentials: 'same-origin', signal: controller.signal }
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let response
    let text
    try {
      response = await doFetch(`${root}${path}`, init)
      text = await response.text()
    } catch (cause) {
      throw new ApiUnreachable(cause)
    } finally {
      clearTimeout(timer)
    }
    let payload = null
    if (text) {
      try {
        payload = JSON.parse(text)
      } catch {
        payload = null
      }
    }
    if (!response.ok) {
      const error = new ApiError(response.status, payload, payload ? '' : text)
      error.method = method
      if (error.isUnauthorized && reportUnauthorized && onUnauthorized) onUnauthorized(error)
      throw error
    }
    // The service worker answered from its copy (the controller is out of reach): say so, and since when.
    const savedAt = response.headers?.get?.(SAVED_AT_HEADER)
    if (savedAt && payload && typeof payload === 'object') Object.defineProperty(payload, 'savedAt', { value: savedAt })
    return payload
  }

  const get = (path, params) => request('GET', path + query(params))
  const post = (path, body) => request('POST', path, body ?? {})
  const put = (path, body) => request('PUT', path, body ?? {})
  const patch = (path, body) => request('PATCH', path, body ?? {})
  const del = (path) => request('DELETE', path)

  return {
    request,
    get,
    post,
    put,
    patch,
    del,
    session: () => get('/session'),
    // A wrong password is an answer to show in the login form, not a reason to ask for a login.
    login: (password) => request('POST', '/login', { password }, { reportUnauthorized: false }),
    logout: () => post('/logout', {}),
    sessions: () => get('/sessions'),
    endSession: (id) => del(`/sessions/${id}`),
    status: () => get('/status'),
    mode: () => get('/mode'),
    setMode: (mode) => put('/mode', mode),
    rooms: () => get('/rooms'),
    createRoom: (room) => post('/rooms', room),
    updateRoom: (id, fields) => patch(`/rooms/${id}`, fields),
    deleteRoom: (id) => del(`/rooms/${id}`),
    schedule: (roomId) => get(`/rooms/${roomId}/schedule`),
    saveSchedule: (roomId, switchPoints) => put(`/rooms/${roomId}/schedule`, { switch_points: switchPoints }),
    valveProgram: (roomId) => get(`/rooms/${roomId}/valve-program`),
    setOverride: (roomId, temperatureC, until) => put(`/rooms/${roomId}/override`, { temperature_c: temperatureC, until }),
    endOverride: (roomId) => del(`/rooms/${roomId}/override`),
    boost: (roomId, minutes) => post(`/rooms/${roomId}/boost`, { minutes }),
    history: (roomId, fromIso, toIso) => get(`/rooms/${roomId}/history`, { from: fromIso, to: toIso }),
    gas: (params) => get('/gas', params),
    thermometers: () => get('/thermometers'),
    heardThermometers: () => get('/thermometers/heard'),
    createThermometer: (thermometer) => post('/thermometers', thermometer),
    updateThermometer: (id, fields) => patch(`/thermometers/${id}`, fields),
    deleteThermometer: (id) => del(`/thermometers/${id}`),
    bridges: () => get('/bridges'),
    createBridge: (bridge) => post('/bridges', bridge),
    updateBridge: (id, fields) => patch(`/bridges/${id}`, fields),
    deleteBridge: (id) => del(`/bridges/${id}`),
    valves: () => get('/valves'),
    createValve: (valve) => post('/valves', valve),
    updateValve: (id, fields) => patch(`/valves/${id}`, fields),
    deleteValve: (id) => del(`/valves/${id}`),
    pairValve: (id, pin) => post(`/valves/${id}/pair`, { pin }),
    settings: () => get('/settings'),
    updateSettings: (fields) => patch('/settings', fields),
  }
}

/** Lists may come bare or wrapped in an object ({"rooms": [...]}); both give the array. */
export function listOf(payload, key) {
  if (Array.isArray(payload)) return payload
  if (payload && Array.isArray(payload[key])) return payload[key]
  if (payload && Array.isArray(payload.items)) return payload.items
  return []
}
