"""The notifier: problems reach a real HTTP receiver through an Apprise json:// URL, once per problem per hour."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from controller_api.watch import run_round
from tests.controller_api.conftest import SERVICE

ZONE = ZoneInfo("Europe/Amsterdam")
ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A local HTTP server that records every JSON body posted to it; ``failing`` answers 500."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if receiver.failing:
                    self.send_response(500)
                else:
                    receiver.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def _fail(client, house, time_):
    client.post("/api/device-checks", json={"checks": [{"time": time_, "kind": "valve", "id": house["valve"],
                                                        "ok": False}]}, headers=SERVICE)


def _answer(client, house, time_):
    client.post("/api/device-checks", json={"checks": [{"time": time_, "kind": "valve", "id": house["valve"],
                                                        "ok": True}]}, headers=SERVICE)


@pytest.fixture
def told(client, house, receiver, clock, database_url):
    """Runs a notifier round at the test clock's now; returns the bodies the receiver got in it."""
    assert client.patch("/api/settings", json={"notify_urls": [receiver.url]}, headers=SERVICE).status_code == 200
    client.patch(f"/api/valves/{house['valve']}", json={"name": "Window"}, headers=SERVICE)

    def round_():
        before = len(receiver.bodies)
        run_round(database_url, clock.now(), ZONE)
        return receiver.bodies[before:]

    return round_


def test_opening_and_closing_reach_the_receiver(client, house, clock, told):
    assert told() == []
    _fail(client, house, "2026-01-12T05:00:00Z")
    sent = told()
    assert len(sent) == 1 and sent[0]["type"] == "failure"
    assert sent[0]["title"] == "Heating: a radiator valve does not answer"
    assert sent[0]["message"].startswith("The radiator valve 'Window' in the Living room has not answered since 06:00.")
    assert told() == []  # told once
    clock.advance(minutes=10)
    _answer(client, house, "2026-01-12T05:10:00Z")
    assert told() == []  # within the hour of the last message: waits
    clock.advance(minutes=50)
    sent = told()
    assert len(sent) == 1 and sent[0]["type"] == "success"
    assert sent[0]["title"] == "Heating: solved: a radiator valve does not answer"
    assert sent[0]["message"].startswith("Solved at 06:10 (since 06:00). It was: The radiator valve 'Window'")
    clock.advance(hours=3)
    assert told() == []


def test_at_most_one_message_per_problem_per_hour(client, house, clock, told):
    _fail(client, house, "2026-01-12T05:00:00Z")
    assert len(told()) == 1
    for minute in range(5, 60, 10):  # a valve that comes and goes
        clock.advance(minutes=5)
        _answer(client, house, clock.now().isoformat())
        assert told() == []
        clock.advance(minutes=5)
        _fail(client, house, clock.now().isoformat())
        assert told() == []
    clock.advance(minutes=5)  # 06:05: out, as the household was told: nothing to say
    assert told() == []
    _answer(client, house, clock.now().isoformat())
    sent = told()  # back, and the last message is more than an hour old
    assert [m["type"] for m in sent] == ["success"]
    clock.advance(minutes=1)
    _fail(client, house, clock.now().isoformat())
    assert told() == []  # out again within the hour of "solved"
    clock.advance(minutes=59)
    assert [m["type"] for m in told()] == ["failure"]


def test_a_failed_delivery_is_retried_and_sent_once(client, house, clock, told, receiver, database_url):
    receiver.failing = True
    _fail(client, house, "2026-01-12T05:00:00Z")
    assert told() == []
    with psycopg.connect(database_url) as conn:
        attempts, error = conn.execute("SELECT attempts, last_error FROM notifications").fetchone()
    assert attempts == 1 and "json://127.0.0.1" in error
    receiver.failing = False
    clock.advance(minutes=1)
    assert [m["type"] for m in told()] == ["failure"]
    assert told() == []


def test_a_problem_gone_before_the_round_is_not_sent(client, house, clock, told):
    _fail(client, house, "2026-01-12T05:00:00Z")
    _answer(client, house, "2026-01-12T05:00:30Z")
    assert told() == []
    clock.advance(hours=2)
    assert told() == []


def test_problems_open_when_urls_are_added_are_sent_then(client, house, clock, receiver, database_url):
    _fail(client, house, "2026-01-12T05:00:00Z")
    run_round(database_url, clock.now(), ZONE)  # no URLs: nothing decided
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM notifications").fetchone()[0] == 0
    client.patch("/api/settings", json={"notify_urls": [receiver.url]}, headers=SERVICE)
    clock.advance(minutes=1)
    run_round(database_url, clock.now(), ZONE)
    assert [m["type"] for m in receiver.bodies] == ["failure"]


def test_the_notifier_process_notices_a_silent_controller(database_url, receiver):
    """python -m controller_api.watch, on the real clock: a loop that stopped ticking reaches the phone."""
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE controller_lease SET last_tick_at = now() - interval '10 minutes'")
        conn.execute("INSERT INTO settings (key, value) VALUES ('notify_urls', %s)",
                     (json.dumps([receiver.url]),))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
    env.update(HEATING_DATABASE_URL=database_url, HEATING_WATCH_INTERVAL_S="1")
    process = subprocess.Popen([sys.executable, "-m", "controller_api.watch"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not receiver.bodies and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert [m["title"] for m in receiver.bodies] == ["Heating: the control loop has stopped"]
        time.sleep(2.5)  # two more rounds: nothing new
        assert len(receiver.bodies) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "Told the household" in output


def test_restart_keeps_the_memory(client, house, clock, told, database_url):
    """Each round is a fresh connection, as after a restart: what was told stays told."""
    _fail(client, house, "2026-01-12T05:00:00Z")
    assert len(told()) == 1
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT notified_open_at IS NOT NULL FROM problems").fetchone()[0]
    clock.advance(minutes=1)
    assert told() == []
