from __future__ import annotations

import pytest

from tests.controller_api.conftest import SERVICE


def test_room_crud(client):
    created = client.post("/api/rooms", json={"name": "  Study ", "default_temp_c": 19.5}, headers=SERVICE)
    assert created.status_code == 201
    room = created.json
    assert room["name"] == "Study" and room["default_temp_c"] == 19.5 and room["control"] == "auto"
    assert client.get(f"/api/rooms/{room['id']}").json == room
    patched = client.patch(f"/api/rooms/{room['id']}", json={"hysteresis_k": 0.5, "control": "manual"},
                           headers=SERVICE).json
    assert patched["hysteresis_k"] == 0.5 and patched["control"] == "manual" and patched["name"] == "Study"
    assert [r["name"] for r in client.get("/api/rooms").json["rooms"]] == ["Study"]
    assert client.delete(f"/api/rooms/{room['id']}", headers=SERVICE).status_code == 204
    assert client.get(f"/api/rooms/{room['id']}").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 61}, "name"),
    ({"name": "A", "default_temp_c": 31}, "default_temp_c"),
    ({"name": "A", "default_temp_c": 20.3}, "default_temp_c"),
    ({"name": "A", "frost_temp_c": 2}, "frost_temp_c"),
    ({"name": "A", "hysteresis_k": -1}, "hysteresis_k"),
    ({"name": "A", "control": "sometimes"}, "control"),
    ({"name": "A", "colour": "red"}, "colour"),
    ({"name": "A", "smart_heat": "perhaps"}, "smart_heat"),
])
def test_bad_room_is_refused_naming_the_field(client, body, field):
    response = client.post("/api/rooms", json=body, headers=SERVICE)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]
    assert client.get("/api/rooms").json["rooms"] == []


def test_duplicate_name_is_a_conflict(client):
    client.post("/api/rooms", json={"name": "Kitchen"}, headers=SERVICE)
    response = client.post("/api/rooms", json={"name": "KITCHEN"}, headers=SERVICE)
    assert response.status_code == 409 and response.json["errors"][0]["field"] == "name"


def test_patch_null_for_required_field_is_refused(client, house):
    response = client.patch(f"/api/rooms/{house['room']}", json={"name": None}, headers=SERVICE)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "name"


def test_unknown_room_is_404(client):
    assert client.get("/api/rooms/999").status_code == 404
    assert client.patch("/api/rooms/999", json={"sort_order": 1}, headers=SERVICE).status_code == 404
    assert client.delete("/api/rooms/999", headers=SERVICE).status_code == 404
    assert client.get("/api/rooms/999/schedule").status_code == 404
    assert client.put("/api/rooms/999/schedule", json={"switch_points": []}, headers=SERVICE).status_code == 404


def test_room_with_valves_cannot_be_deleted(client, house):
    response = client.delete(f"/api/rooms/{house['room']}", headers=SERVICE)
    assert response.status_code == 409 and "valve" in response.json["detail"]
    assert client.delete(f"/api/valves/{house['valve']}", headers=SERVICE).status_code == 204
    assert client.delete(f"/api/rooms/{house['room']}", headers=SERVICE).status_code == 204
    # The thermometer stays, unassigned.
    assert client.get(f"/api/thermometers/{house['thermometer']}").json["room_id"] is None


WEEK = {"switch_points": [
    {"weekday": 0, "time": "06:30", "temperature_c": 20.0},
    {"weekday": 0, "time": "22:00", "temperature_c": 16.0},
    {"weekday": 5, "time": "08:00", "temperature_c": 20.5},
]}


def test_schedule_round_trip_and_replace(client, house):
    url = f"/api/rooms/{house['room']}/schedule"
    assert client.get(url).json == {"switch_points": []}
    assert client.put(url, json=WEEK, headers=SERVICE).json == WEEK
    assert client.get(url).json == WEEK
    smaller = {"switch_points": [{"weekday": 3, "time": "07:00", "temperature_c": 19.0}]}
    client.put(url, json=smaller, headers=SERVICE)
    assert client.get(url).json == smaller


@pytest.mark.parametrize("points, field", [
    ([{"weekday": 7, "time": "06:30", "temperature_c": 20}], "switch_points.0.weekday"),
    ([{"weekday": 0, "time": "24:00", "temperature_c": 20}], "switch_points.0.time"),
    ([{"weekday": 0, "time": "6:30", "temperature_c": 20}], "switch_points.0.time"),
    ([{"weekday": 0, "time": "06:30", "temperature_c": 35}], "switch_points.0.temperature_c"),
    ([{"weekday": 0, "time": "06:30", "temperature_c": 20.25}], "switch_points.0.temperature_c"),
    ([{"weekday": 0, "time": "06:30", "temperature_c": 20}, {"weekday": 0, "time": "06:30", "temperature_c": 21}],
     "switch_points"),
    ([{"weekday": 0, "time": f"{h:02d}:00", "temperature_c": 20} for h in range(13)], "switch_points"),
])
def test_bad_schedule_changes_nothing(client, house, points, field):
    url = f"/api/rooms/{house['room']}/schedule"
    client.put(url, json=WEEK, headers=SERVICE)
    response = client.put(url, json={"switch_points": points}, headers=SERVICE)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["errors"]], response.json
    assert client.get(url).json == WEEK


def test_override_until_time_and_expiry(client, house, clock):
    url = f"/api/rooms/{house['room']}/override"
    set_ = client.put(url, json={"temperature_c": 22.5, "until": "2026-01-12T07:00:00+01:00"}, headers=SERVICE)
    assert set_.status_code == 200 and set_.json["override"]["ends_at"] == "2026-01-12T06:00:00Z"
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (22.5, "override")
    clock.advance(hours=1)  # 06:00 UTC: the override's end
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (18.0, "default")
    assert room["override"] is None
    assert client.get(url).json == {"override": None}


def test_override_until_next_switch(client, house, clock):
    client.put(f"/api/rooms/{house['room']}/schedule", json=WEEK, headers=SERVICE)
    response = client.put(f"/api/rooms/{house['room']}/override",
                          json={"temperature_c": 21, "until": "next_switch"}, headers=SERVICE)
    # Now is Monday 06:00 local: the next switch point is Monday 06:30 local.
    assert response.json["override"]["ends_at"] == "2026-01-12T05:30:00Z"
    clock.advance(minutes=29)
    assert client.get("/api/status").json["rooms"][0]["target_source"] == "override"
    clock.advance(minutes=1)
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (20.0, "schedule")


@pytest.mark.parametrize("body, status", [
    ({"temperature_c": 21, "until": "next_switch"}, 422),            # no schedule yet
    ({"temperature_c": 21, "until": "2026-01-12T04:00:00Z"}, 422),   # in the past
    ({"temperature_c": 21, "until": "2026-01-12T09:00:00"}, 422),    # no offset
    ({"temperature_c": 21, "until": "tomorrow"}, 422),
    ({"temperature_c": 40, "until": "2026-01-12T09:00:00Z"}, 422),
    ({"until": "2026-01-12T09:00:00Z"}, 422),
])
def test_bad_override_is_refused(client, house, body, status):
    response = client.put(f"/api/rooms/{house['room']}/override", json=body, headers=SERVICE)
    assert response.status_code == status
    assert client.get(f"/api/rooms/{house['room']}/override").json == {"override": None}


def test_delete_override_and_boost(client, house, clock):
    url = f"/api/rooms/{house['room']}"
    client.put(f"{url}/override", json={"temperature_c": 22.5, "until": "2026-01-12T09:00:00Z"}, headers=SERVICE)
    assert client.delete(f"{url}/override", headers=SERVICE).status_code == 204
    assert client.get("/api/status").json["rooms"][0]["target_source"] == "default"
    boost = client.post(f"{url}/boost", json={"minutes": 15}, headers=SERVICE).json["override"]
    assert boost["kind"] == "boost" and boost["ends_at"] == "2026-01-12T05:15:00Z"
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (30.0, "boost")
    clock.advance(minutes=15)
    assert client.get("/api/status").json["rooms"][0]["target_source"] == "default"
    assert client.post(f"{url}/boost", json={"minutes": 0}, headers=SERVICE).status_code == 422


def test_history(client, house):
    client.put(f"/api/rooms/{house['room']}/schedule", json=WEEK, headers=SERVICE)
    readings = [{"mac": "A4:C1:38:11:22:33", "time": f"2026-01-12T0{h}:00:00Z", "temperature_c": 18 + h / 2}
                for h in range(5)]
    client.post("/api/readings", json={"readings": readings}, headers=SERVICE)
    client.post(f"/api/valves/{house['valve']}/state",
                json={"time": "2026-01-11T23:00:00Z", "state": "closed", "target_c": 5}, headers=SERVICE)
    client.post(f"/api/valves/{house['valve']}/state",
                json={"time": "2026-01-12T04:10:00Z", "state": "open", "target_c": 30, "valve_pct": 100},
                headers=SERVICE)
    day = client.get(f"/api/rooms/{house['room']}/history?from=2026-01-12T00:00:00Z&to=2026-01-12T12:00:00Z").json
    assert day["resolution_s"] == 0 and [r["temperature_c"] for r in day["readings"]] == [18, 18.5, 19, 19.5, 20]
    # The state in force at the start, then the change inside the range.
    assert [(s["time"], s["state"]) for s in day["valve_states"]] == [
        ("2026-01-12T00:00:00Z", "closed"), ("2026-01-12T04:10:00Z", "open")]
    # Saturday 08:00's 20.5 °C holds until Monday 06:30 local.
    assert [(t["time"], t["target_c"]) for t in day["targets"]] == [
        ("2026-01-12T00:00:00Z", 20.5), ("2026-01-12T05:30:00Z", 20.0)]
    week = client.get(f"/api/rooms/{house['room']}/history?from=2026-01-06T00:00:00Z&to=2026-01-13T00:00:00Z").json
    assert week["resolution_s"] == 840  # a week in at most 720 points
    assert len(week["readings"]) <= 5


@pytest.mark.parametrize("query", ["from=yesterday", "from=2026-01-12T05:00:00Z&to=2026-01-12T04:00:00Z",
                                   "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "colour=red"])
def test_bad_history_range(client, house, query):
    assert client.get(f"/api/rooms/{house['room']}/history?{query}").status_code == 422


def test_an_override_until_cancelled_lasts_until_it_is_ended(client, house, clock):
    url = f"/api/rooms/{house['room']}/override"
    client.put(f"/api/rooms/{house['room']}/schedule", json={"switch_points": [
        {"weekday": d, "time": "07:00", "temperature_c": 20.0} for d in range(7)]}, headers=SERVICE)
    answer = client.put(url, json={"temperature_c": 17.0, "until": "cancelled"}, headers=SERVICE)
    assert answer.status_code == 200, answer.json
    assert answer.json["override"]["ends_at"] is None
    # Past switch points and days later, it still holds.
    clock.advance(days=3)
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"], room["override"]["ends_at"]) == (17.0, "override", None)
    steps = client.get(f"/api/rooms/{house['room']}/history").json["targets"]
    assert {(t["target_c"], t["source"]) for t in steps} == {(17.0, "override")}
    assert client.delete(url, headers=SERVICE).status_code == 204
    assert client.get("/api/status").json["rooms"][0]["target_source"] == "schedule"


def test_an_unknown_kind_of_until_is_refused(client, house):
    answer = client.put(f"/api/rooms/{house['room']}/override", json={"temperature_c": 17.0, "until": "forever"},
                        headers=SERVICE)
    assert answer.status_code == 422 and "until" in answer.json["detail"]
    assert client.get("/api/status").json["rooms"][0]["override"] is None
