"""Ticks follow the monotonic clock: steady, no catch-up bursts, and a wall-clock step changes nothing.

The last test runs the real `python -m onoff run` with its wall clock (time.time and datetime.now)
stepped an hour back and then two hours forward while the monotonic clock runs on; the APScheduler
interval job this replaced stopped ticking for an hour after the backward step.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

from onoff.scheduler import run_every
from tests.onoff.test_main import ROOT, env_for, live_house  # noqa: F401 (live_house is a fixture)


class FakeMonotonic:
    """Monotonic time that moves only when the loop waits or a tick takes time."""

    def __init__(self):
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def ticks_at(durations: list[float], interval_s: float = 10.0) -> list[float]:
    """Monotonic start times of ticks lasting ``durations`` (one per tick; then stop)."""
    clock = FakeMonotonic()
    started: list[float] = []
    stop = threading.Event()

    def tick() -> bool:
        started.append(clock.now - 1000.0)
        clock.now += durations[len(started) - 1]
        return len(started) < len(durations)

    run_every(interval_s, tick, stop, monotonic=clock, wait=clock.wait)
    return started


def test_ticks_keep_their_rhythm_whatever_each_takes():
    assert ticks_at([0.5, 3, 9.9, 0, 0]) == [0, 10, 20, 30, 40]


def test_an_overrun_is_followed_at_once_by_one_tick_not_a_burst():
    # The second tick hangs for 35 s (three and a half intervals): the third starts at once, at 45, and the
    # rhythm restarts from there; the missed 20, 30 and 40 are not made up.
    assert ticks_at([1, 35, 1, 1, 1]) == [0, 10, 45, 55, 65]


def test_a_stop_during_the_wait_ends_the_loop_before_the_next_tick():
    stop = threading.Event()
    started: list[float] = []

    def tick() -> bool:
        started.append(time.monotonic())
        threading.Timer(0.2, stop.set).start()
        return True

    begun = time.monotonic()
    run_every(30.0, tick, stop)
    assert len(started) == 1 and time.monotonic() - begun < 5


# The real process with a wall clock that steps -----------------------------------------------------

# Runs `python -m onoff run` with time.time() and datetime.now() shifted by the number of seconds in the
# file named by WALL_OFFSET_FILE; time.monotonic() is left alone, as on a machine whose clock steps.
SHIFTED_WALL_CLOCK = r"""
import datetime as _datetime, os, runpy, sys, time as _time

_offset_file = os.environ["WALL_OFFSET_FILE"]
_real_time = _time.time

def _offset():
    try:
        with open(_offset_file) as handle:
            return float(handle.read() or 0)
    except (OSError, ValueError):
        return 0.0

def _shifted_time():
    return _real_time() + _offset()

class _ShiftedDatetime(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls.fromtimestamp(_shifted_time(), tz)

    @classmethod
    def utcnow(cls):
        return cls.fromtimestamp(_shifted_time(), _datetime.timezone.utc).replace(tzinfo=None)

_time.time = _shifted_time
_time.time_ns = lambda: int(_shifted_time() * 1e9)
_datetime.datetime = _ShiftedDatetime
sys.argv = ["onoff", "run"]
runpy.run_module("onoff", run_name="__main__", alter_sys=True)
"""


def test_a_wall_clock_step_of_an_hour_either_way_does_not_change_the_ticks(live_house, api_server, tmp_path):
    house, nefit_url = live_house
    status_requests: list[float] = []
    serve = api_server.app.wsgi_app

    def counting(environ, start_response):
        if environ.get("PATH_INFO") == "/api/status" and "at=" in environ.get("QUERY_STRING", ""):
            status_requests.append(time.monotonic())  # only the loop's ticks ask with ?at=
        return serve(environ, start_response)

    api_server.app.wsgi_app = counting
    offset = tmp_path / "wall-offset"
    offset.write_text("0")
    # A tick every simulated 5 s at five times real speed: one per wall second.
    env = env_for(house, api_server, nefit_url, WALL_OFFSET_FILE=str(offset), HEATING_SPOOL_DIR=str(tmp_path / "spool"),
                  HEATING_HEARTBEAT_FILE=str(tmp_path / "heartbeat"),
                  HEATING_CLOCK_START=datetime.now(timezone.utc).isoformat(), HEATING_CLOCK_SPEED="5")
    process = subprocess.Popen([sys.executable, "-c", SHIFTED_WALL_CLOCK], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)

    def ticks_within(seconds: float) -> int:
        since = time.monotonic()
        time.sleep(seconds)
        return sum(1 for at in status_requests if at > since)

    try:
        deadline = time.monotonic() + 30
        while len(status_requests) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        if len(status_requests) < 3:
            process.terminate()
            raise AssertionError(f"the loop did not start ticking: {process.communicate(timeout=30)[0][-3000:]}")
        assert 4 <= ticks_within(6) <= 7
        offset.write_text("-3600")  # the wall clock steps an hour back
        assert 4 <= ticks_within(6) <= 7, "ticks stopped after a backward step of the wall clock"
        offset.write_text("3600")  # ... and two hours forward: no burst of "missed" ticks
        assert 4 <= ticks_within(6) <= 7, "the ticks did not keep their rhythm after a forward step"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
