// The page's service worker: the page opens without a network, and the house's
// last status stays readable. It only ever answers reads (GET): a change made
// while offline fails in the page, which says nothing was changed, and is never
// kept or sent again later. A heating command sent hours late is not safe.
const CACHE = 'heating-page-v1'
const STATUS_PATH = 'api/status'
// Tells the page that a status came from this cache, and when it was stored.
const SAVED_AT_HEADER = 'X-Heating-Saved-At'

const scopeUrl = new URL(self.registration.scope)
const inScope = (url) => url.origin === scopeUrl.origin && url.pathname.startsWith(scopeUrl.pathname)
const relative = (url) => url.pathname.slice(scopeUrl.pathname.length)

// The page and what it loads (its hashed script and stylesheet, named in index.html).
async function cacheThePage() {
  const cache = await caches.open(CACHE)
  const index = await fetch(new Request('./', { cache: 'no-cache' }))
  if (!index.ok) return
  const html = await index.clone().text()
  await cache.put('./', index)
  const assets = [...html.matchAll(/(?:src|href)="(\.?\/?(?:assets\/[^"]+|manifest\.webmanifest|icon[^"]*))"/g)].map((m) => m[1])
  await cache.addAll([...new Set(assets)])
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheThePage().catch(() => undefined).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name)
    await self.clients.claim()
  })())
})

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(request)
    if (response.ok) await cache.put(key, response.clone())
    return response
  } catch (error) {
    const kept = await cache.match(key)
    if (kept) return kept
    throw error
  }
}

async function status(request) {
  const cache = await caches.open(CACHE)
  try {
    const response = await fetch(request)
    if (response.ok) {
      const body = await response.clone().arrayBuffer()
      const headers = new Headers(response.headers)
      headers.set(SAVED_AT_HEADER, new Date().toISOString())
      await cache.put(STATUS_PATH, new Response(body, { status: 200, headers }))
    }
    return response
  } catch (error) {
    const kept = await cache.match(STATUS_PATH)
    if (kept) return kept
    throw error
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  // Changes always go to the controller, now or not at all.
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (!inScope(url)) return
  const path = relative(url)
  if (path === STATUS_PATH && !url.search) {
    event.respondWith(status(request))
  } else if (path.startsWith('api/')) {
    // Other reads are not kept: a schedule shown from yesterday could be saved back over today's.
  } else if (request.mode === 'navigate') {
    event.respondWith(networkFirst(request, './'))
  } else {
    event.respondWith(caches.match(request).then((kept) => kept || networkFirst(request, request)))
  }
})
