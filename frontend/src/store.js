// What every view shares: the API client, whether this browser is logged in,
// and the route (a hash such as #/rooms/3/schedule, so any static server works).
import { reactive } from 'vue'
import { createApi } from './api.js'
import { createStatusPoll } from './statusPoll.js'
import { t } from './i18n.js'

export const session = reactive({
  known: false,
  authenticated: false,
  readsOpen: true,
  loginPossible: true,
  // Set when a request was refused for lack of credentials: the login view says so.
  loginReason: '',
  // Whether that request was a change (not saved) or a read (reads need a login here).
  loginForWrite: true,
})

export const route = reactive({ path: '/', parts: [] })

export function parseHash(hash) {
  const path = (hash || '').replace(/^#/, '') || '/'
  const parts = path.split('/').filter(Boolean)
  return { path, parts }
}

export function navigate(path) {
  if (typeof window !== 'undefined') window.location.hash = path
}

// Views with edits not saved yet (the schedule editor) register a check here:
// leaving them by the page's own links then asks first, as closing the tab does.
const leaveGuards = new Set()
let currentHash = null

/** Registers `hasUnsavedEdits()`; returns the function that removes it again. */
export function guardLeaving(hasUnsavedEdits) {
  leaveGuards.add(hasUnsavedEdits)
  return () => leaveGuards.delete(hasUnsavedEdits)
}

function syncRoute() {
  const hash = window.location.hash
  if (currentHash !== null && hash !== currentHash && [...leaveGuards].some((check) => check())) {
    if (!window.confirm(t('You have changes that are not saved. Leave and lose them?'))) {
      // Back to the edits, without a new entry in the browser's history.
      window.history.replaceState(window.history.state, '', currentHash || '#/')
      return
    }
  }
  currentHash = hash
  const parsed = parseHash(hash)
  route.path = parsed.path
  route.parts = parsed.parts
}

export function startRouter() {
  syncRoute()
  window.addEventListener('hashchange', syncRoute)
}

export const api = createApi({
  onUnauthorized(error) {
    session.authenticated = false
    session.loginReason = error.message
    session.loginForWrite = error.method !== 'GET'
  },
})

/** Asks the API whether this browser is logged in; keeps the last answer if it cannot be reached. */
export async function refreshSession() {
  try {
    const info = await api.session()
    session.authenticated = Boolean(info?.authenticated)
    session.readsOpen = info?.reads_open !== false
    session.loginPossible = info?.login_possible !== false
    session.known = true
  } catch {
    session.known = true
  }
}

// A background read must never open the login dialog: a view that needs the
// login asks for it itself.
export const houseStatus = createStatusPoll({
  load: () => api.request('GET', '/status', undefined, { reportUnauthorized: false }),
})
