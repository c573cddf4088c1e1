"""One controller holds the house: the real `python -m onoff run` against the real API over HTTP.

A second loop is refused naming the first; a loop whose lease another took over stops without handing
back; the health check sees a stuck (SIGSTOPped) loop and kills it so its container restarts.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

from tests.onoff.test_main import ROOT, env_for, live_house  # noqa: F401 (live_house is a fixture)


def start_loop(house, api_server, nefit_url, folder: Path, **extra) -> subprocess.Popen:
    env = env_for(house, api_server, nefit_url, HEATING_SPOOL_DIR=str(folder / "spool"),
                  HEATING_HEARTBEAT_FILE=str(folder / "heartbeat"), **extra)
    return subprocess.Popen([sys.executable, "-m", "onoff", "run"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def controller(api_server) -> dict:
    return requests.get(f"{api_server.url}/api/status", timeout=10).json()["controller"]


def wait_until(condition, timeout_s: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def handed_back_records(house) -> list[dict]:
    return (house.rows("SELECT reason FROM valve_states WHERE reason LIKE %s", "%handed back%")
            + house.rows("SELECT reason FROM boiler_states WHERE reason LIKE %s", "%handed back%"))


def test_a_second_loop_is_refused_naming_the_first_which_keeps_the_house(live_house, api_server, tmp_path):
    house, nefit_url = live_house
    first = start_loop(house, api_server, nefit_url, tmp_path / "first")
    try:
        wait_until(lambda: controller(api_server)["last_tick_at"] is not None, what="the first loop's tick")
        holder = controller(api_server)["holder"]
        assert holder.split(":")[1] == str(first.pid)
        second = subprocess.run([sys.executable, "-m", "onoff", "run"], cwd=ROOT, capture_output=True, text=True,
                                timeout=60, env=env_for(house, api_server, nefit_url,
                                                        HEATING_SPOOL_DIR=str(tmp_path / "second" / "spool"),
                                                        HEATING_HEARTBEAT_FILE=str(tmp_path / "second" / "hb")))
        assert second.returncode == 2, second.stderr
        assert f"Another controller holds the house: {holder}" in second.stderr
        # The refused loop drove nothing and handed nothing back; the first still holds and ticks.
        assert handed_back_records(house) == []
        ticked = controller(api_server)["last_tick_at"]
        wait_until(lambda: controller(api_server)["last_tick_at"] != ticked, what="the first loop's next tick")
        assert controller(api_server)["holder"] == holder and first.poll() is None
    finally:
        output = stop(first)
    assert first.returncode == 0, output
    assert "handing valves and boiler back" in output
    # Released on stop: the next loop may start at once; the last tick stays visible.
    released = controller(api_server)
    assert released["holder"] is None and released["lease_expires_at"] is None and released["last_tick_at"]


def test_a_loop_whose_lease_was_taken_over_stops_without_handing_back(live_house, api_server, tmp_path):
    house, nefit_url = live_house
    loop = start_loop(house, api_server, nefit_url, tmp_path / "loop")
    try:
        heartbeat = tmp_path / "loop" / "heartbeat"
        wait_until(lambda: controller(api_server)["last_tick_at"] is not None, what="the loop's first tick")
        first_beat = heartbeat.read_text()
        # The heartbeat is written when a tick has finished: from then on until the next tick, nothing moves.
        wait_until(lambda: heartbeat.read_text() != first_beat, what="the first tick to finish")
        valve = house.valves["00:1A:22:00:00:01"]
        before = (len(house.nefit.writes), valve.manual, valve.target_c, len(house.valve_states(house.rooms[0])),
                  len(house.boiler_states()))
        # Another controller took the house over (as after this loop's lease ran out while it hung).
        with psycopg.connect(api_server.database_url) as conn:
            conn.execute("UPDATE controller_lease SET holder = 'attic-pi:99:beef', acquired_at = now(), "
                         "expires_at = now() + interval '1 hour'")
        loop.wait(timeout=30)
    finally:
        output = stop(loop)
    assert loop.returncode == 2, output
    assert "Another controller took the house over" in output and "attic-pi:99:beef" in output
    assert "handing valves and boiler back" not in output
    # Nothing was sent or recorded after the takeover: the house is the new controller's.
    assert (len(house.nefit.writes), valve.manual, valve.target_c, len(house.valve_states(house.rooms[0])),
            len(house.boiler_states())) == before
    assert handed_back_records(house) == []
    assert controller(api_server)["holder"] == "attic-pi:99:beef"


def health(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onoff", "health", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


def test_health_check_passes_while_ticking_and_kills_a_stopped_loop(live_house, api_server, tmp_path):
    house, nefit_url = live_house
    folder = tmp_path / "loop"
    env = env_for(house, api_server, nefit_url, HEATING_SPOOL_DIR=str(folder / "spool"),
                  HEATING_HEARTBEAT_FILE=str(folder / "heartbeat"))
    missing = health(env)
    assert missing.returncode == 1 and "no heartbeat file" in missing.stderr
    loop = start_loop(house, api_server, nefit_url, folder)
    try:
        wait_until(lambda: controller(api_server)["last_tick_at"] is not None, what="the loop's first tick")
        healthy = health(env)
        assert healthy.returncode == 0, healthy.stderr
        assert "healthy" in healthy.stdout
        loop.send_signal(signal.SIGSTOP)
        # Stopped, the loop writes no heartbeat; make its last one 10 minutes old rather than wait for it.
        heartbeat = folder / "heartbeat"
        record = json.loads(heartbeat.read_text())
        assert record["pid"] == loop.pid
        record["monotonic_s"] -= 600
        record["wall_s"] -= 600
        heartbeat.write_text(json.dumps(record))
        stuck = health(env)
        assert stuck.returncode == 1 and "the loop is stuck" in stuck.stderr
        assert loop.poll() is None  # a plain check only reports
        killed = health(env, "--kill-stuck")
        assert killed.returncode == 1 and f"killed the stuck loop (pid {loop.pid})" in killed.stderr
        loop.wait(timeout=10)
        assert loop.returncode == -signal.SIGKILL
    finally:
        if loop.poll() is None:
            os.kill(loop.pid, signal.SIGCONT)
        stop(loop)


def test_a_restarted_loop_waits_out_the_lease_of_its_killed_predecessor(live_house, api_server, tmp_path):
    """After the health check killed a stuck loop, its lease is still live; the restarted loop (same host)
    sees that its holder no longer runs and waits for the lease to run out instead of exiting."""
    house, nefit_url = live_house
    import socket

    with psycopg.connect(api_server.database_url) as conn:
        # A pid that cannot run: above the kernel's pid_max.
        conn.execute("UPDATE controller_lease SET holder = %s, acquired_at = now(), "
                     "expires_at = now() + interval '4 seconds'", (f"{socket.gethostname()}:99999999:dead",))
    loop = start_loop(house, api_server, nefit_url, tmp_path / "loop")
    try:
        wait_until(lambda: (controller(api_server)["holder"] or "").split(":")[1:2] == [str(loop.pid)],
                   timeout_s=30, what="the restarted loop to take the lapsed lease")
        assert loop.poll() is None
    finally:
        output = stop(loop)
    assert "no longer runs; waiting until it runs out" in output
