"""POST /api/targets from the control loop, and the recorded targets in a room's history."""
from __future__ import annotations

import pytest

from tests.controller_api.conftest import SERVICE


def _history(client, room, start, end):
    answer = client.get(f"/api/rooms/{room}/history", query_string={"from": start, "to": end})
    assert answer.status_code == 200, answer.json
    return [(t["time"], t["target_c"], t["source"], t["recorded"]) for t in answer.json["targets"]]


def test_history_draws_what_was_recorded_and_plans_only_ahead(client, house, clock):
    room = house["room"]
    client.put(f"/api/rooms/{room}/schedule", json={"switch_points": [
        {"weekday": d, "time": "06:30", "temperature_c": 20.0} for d in range(7)]}, headers=SERVICE)
    # Nothing recorded: the schedule's plan, as before.
    assert _history(client, room, "2026-01-12T04:00:00Z", "2026-01-12T07:00:00Z") == [
        ("2026-01-12T04:00:00Z", 20.0, "schedule", False)]
    # The loop ran from 04:10 and saw an override from 04:40 to 04:50 (a boost, gone from today's plan).
    answer = client.post("/api/targets", json={"targets": [
        {"room_id": room, "time": "2026-01-12T04:10:00Z", "target_c": 20.0, "source": "schedule", "reason": "switch point 06:30"},
        {"room_id": room, "time": "2026-01-12T04:40:00Z", "target_c": 30.0, "source": "boost", "reason": "boost until 04:50"},
        {"room_id": room, "time": "2026-01-12T04:50:00Z", "target_c": 20.0, "source": "schedule"},
    ]}, headers=SERVICE)
    assert answer.status_code == 201, answer.json
    # Before 04:10 planned; 04:10 to now (05:00) as recorded; after now planned (06:30 Amsterdam = 05:30Z).
    assert _history(client, room, "2026-01-12T04:00:00Z", "2026-01-12T07:00:00Z") == [
        ("2026-01-12T04:00:00Z", 20.0, "schedule", False),
        ("2026-01-12T04:10:00Z", 20.0, "schedule", True),
        ("2026-01-12T04:40:00Z", 30.0, "boost", True),
        ("2026-01-12T04:50:00Z", 20.0, "schedule", True),
        ("2026-01-12T05:00:00Z", 20.0, "schedule", False),
    ]
    # A range starting after a record begins with the target recorded last before it.
    assert _history(client, room, "2026-01-12T04:45:00Z", "2026-01-12T04:48:00Z") == [
        ("2026-01-12T04:45:00Z", 30.0, "boost", True)]


@pytest.mark.parametrize(("target", "field"), [
    ({"room_id": 999, "time": "2026-01-12T04:10:00Z", "target_c": 20.0, "source": "schedule"}, "room"),
    ({"time": "2026-01-12T04:10:00Z", "target_c": 20.0, "source": "made up"}, "source"),
    ({"time": "2026-01-12T04:10:00Z", "target_c": 90.0, "source": "schedule"}, "target_c"),
])
def test_bad_targets_are_refused_and_change_nothing(client, house, target, field):
    body = {"targets": [{"room_id": house["room"], **target}]}
    answer = client.post("/api/targets", json=body, headers=SERVICE)
    assert answer.status_code == 422
    assert field in answer.json["detail"]
    assert all(not t["recorded"] for t in client.get(f"/api/rooms/{house['room']}/history").json["targets"])


def test_only_the_loop_records_targets(client, house):
    answer = client.post("/api/targets", json={"targets": [
        {"room_id": house["room"], "time": "2026-01-12T04:10:00Z", "target_c": 20.0, "source": "schedule"}]})
    assert answer.status_code == 401
