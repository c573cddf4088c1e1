// A real HTTP server on 127.0.0.1 for the unit tests, answering each
// request with what a route returns, and a fetch for it that goes through
// node's own HTTP stack (the browser-like test environment has no network).
import http from 'node:http'

/** Starts a server; `routes` maps "METHOD /path" to (request, body) => {status, headers, body}. */
export async function startServer(routes) {
  const requests = []
  const server = http.createServer((request, response) => {
    let raw = ''
    request.on('data', (chunk) => { raw += chunk })
    request.on('end', async () => {
      const url = new URL(request.url, 'http://127.0.0.1')
      const body = raw ? JSON.parse(raw) : undefined
      requests.push({ method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, headers: request.headers })
      const route = routes[`${request.method} ${url.pathname}`]
      const answer = route ? await route(request, body) : { status: 404, body: { title: 'Not Found', status: 404, detail: 'no such endpoint' } }
      if (answer.hang) return
      const isText = typeof answer.body === 'string'
      response.writeHead(answer.status || 200, {
        'Content-Type': isText ? 'text/html' : answer.status >= 400 ? 'application/problem+json' : 'application/json',
        ...(answer.headers || {}),
      })
      response.end(answer.body === undefined ? '' : isText ? answer.body : JSON.stringify(answer.body))
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }),
  }
}

/** fetch(url, init) over node:http, enough for the page's API client (method, headers, body, signal). */
export function nodeFetch(url, init = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: init.method || 'GET', headers: init.headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => { text += chunk })
      response.on('end', () => resolve({ ok: response.statusCode >= 200 && response.statusCode < 300, status: response.statusCode, text: async () => text }))
    })
    request.on('error', reject)
    if (init.signal) {
      init.signal.addEventListener('abort', () => {
        const error = new Error('aborted')
        error.name = 'AbortError'
        request.destroy(error)
      })
    }
    if (init.body) request.write(init.body)
    request.end()
  })
}
