// The house status every view shares. The rooms views load GET /api/status
// themselves every 30 s and publish it here; this light poll fills the gaps
// (setup, login, a room's schedule) so the problems banner is never older than
// a minute, and it sleeps while the tab is hidden: a phone in a pocket should
// not keep asking the Pi.
import { reactive } from 'vue'

export const STATUS_POLL_MS = 60000

/**
 * A shared status and its poll. `load()` returns a status (or throws); the
 * poll asks only when nothing newer than `intervalMs` was published, and never
 * while `doc` is hidden. `stop()` ends it all.
 */
export function createStatusPoll({ load, intervalMs = STATUS_POLL_MS, firstDelayMs = 2000, doc = globalThis.document, clock = () => Date.now() }) {
  const shared = reactive({ status: null, loadedAtMs: 0 })
  let timer = null
  let firstTimer = null
  let inFlight = false

  function publish(status) {
    if (!status) return
    shared.status = status
    shared.loadedAtMs = clock()
  }

  const hidden = () => doc?.visibilityState === 'hidden'

  async function poll() {
    // The rooms views load the status every 30 s; while one is open it has done the asking
    // (a little over half the minute, to allow for the time its own load takes).
    if (inFlight || hidden() || clock() - shared.loadedAtMs < intervalMs * 0.6) return
    inFlight = true
    try {
      publish(await load())
    } catch {
      // The views say when the controller cannot be reached; the banner keeps the last known problems.
    } finally {
      inFlight = false
    }
  }

  function arm() {
    clearInterval(timer)
    timer = hidden() ? null : setInterval(poll, intervalMs)
  }

  function onVisibility() {
    arm()
    if (!hidden()) poll()
  }

  return {
    shared,
    publish,
    poll,
    start() {
      doc?.addEventListener?.('visibilitychange', onVisibility)
      arm()
      // The rooms views load the status as they open; waiting a moment lets them publish it first.
      firstTimer = setTimeout(poll, firstDelayMs)
    },
    stop() {
      doc?.removeEventListener?.('visibilitychange', onVisibility)
      clearTimeout(firstTimer)
      clearInterval(timer)
      timer = null
    },
    /** True while the interval runs (for tests: it must not run in a hidden tab). */
    get running() {
      return timer !== null
    },
  }
}
