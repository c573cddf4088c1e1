"""Ticks on the monotonic clock.

APScheduler's interval trigger computes run times from the wall clock: a
backward step of an hour (NTP, a Pi without a real-time clock setting its
time late) stopped the ticks for an hour. Here deadlines live on
``time.monotonic()``, which steps never move; the waits (``Event.wait``) use
the monotonic clock too (CPython ≥ 3.11 on Linux).
"""
from __future__ import annotations

import threading
import time
from typing import Callable


def run_every(interval_s: float, tick: Callable[[], bool], stop: threading.Event,
              monotonic: Callable[[], float] = time.monotonic,
              wait: Callable[[float], object] | None = None) -> None:
    """Calls ``tick`` at once and then every ``interval_s`` until ``stop`` is set or ``tick`` returns False.

    The next deadline is the previous one plus the interval, so ticks do not drift. A tick that overran
    its deadline is followed at once by the next, and the deadlines restart from then: one late tick,
    never a burst of catch-up ticks.
    """
    wait = wait or stop.wait
    deadline = monotonic()
    while not stop.is_set():
        if tick() is False:
            return
        deadline += interval_s
        now = monotonic()
        if now >= deadline:
            deadline = now
            continue
        wait(deadline - now)
