"""Concurrent writers over real HTTP: nothing is mixed, lost or doubled."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import requests


def _auth(server):
    return {"Authorization": f"Bearer {server.service_token}"}


def _room(server) -> int:
    return requests.post(f"{server.url}/api/rooms", json={"name": "Living room"}, headers=_auth(server),
                         timeout=10).json()["id"]


def test_concurrent_schedule_replacements_never_mix(api_server):
    room = _room(api_server)
    weeks = [{"switch_points": [{"weekday": d, "time": f"{6 + n:02d}:00", "temperature_c": 15 + n}
                                for d in range(7)]} for n in range(6)]

    def put(week):
        return requests.put(f"{api_server.url}/api/rooms/{room}/schedule", json=week, headers=_auth(api_server),
                            timeout=30).status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(put, weeks * 4)) == {200}
    final = requests.get(f"{api_server.url}/api/rooms/{room}/schedule", timeout=10).json()
    assert final in weeks


def test_concurrent_reading_batches_store_each_reading_once(api_server):
    room = _room(api_server)
    requests.post(f"{api_server.url}/api/thermometers", json={"mac": "A4:C1:38:11:22:33", "room_id": room},
                  headers=_auth(api_server), timeout=10)
    readings = [{"mac": "A4:C1:38:11:22:33", "time": f"2026-01-12T05:{m:02d}:00Z", "temperature_c": 19 + m / 100}
                for m in range(60)]
    # Four readers send overlapping batches, as replays from a spool would.
    batches = [readings[i:i + 30] for i in range(0, 60, 10)] * 2

    def post(batch):
        return requests.post(f"{api_server.url}/api/readings", json={"readings": batch},
                             headers=_auth(api_server), timeout=30).json()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(post, batches))
    assert sum(r["stored"] for r in results) == 60
    assert sum(r["stored"] + r["duplicates"] for r in results) == sum(len(b) for b in batches)
    with psycopg.connect(api_server.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM readings").fetchone() == (60,)


def test_concurrent_creation_of_the_same_room(api_server):
    def create(_):
        return requests.post(f"{api_server.url}/api/rooms", json={"name": "Bathroom"}, headers=_auth(api_server),
                             timeout=30).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(create, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409]
