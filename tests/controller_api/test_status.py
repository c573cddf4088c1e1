"""GET /api/status: readings, freshness, targets (DST days via ?at=), valves, mode, boiler."""
from __future__ import annotations

import pytest

from tests.controller_api.conftest import SERVICE


def _post_reading(client, time, temperature_c, mac="A4:C1:38:11:22:33"):
    client.post("/api/readings", json={"readings": [{"mac": mac, "time": time, "temperature_c": temperature_c,
                                                     "humidity_pct": 50.5, "battery_pct": 88}]}, headers=SERVICE)


def test_status_of_a_room(client, house, clock):
    client.patch(f"/api/rooms/{house['room']}", json={"offset_k": -0.5}, headers=SERVICE)
    _post_reading(client, "2026-01-12T04:50:00Z", 19.0)
    _post_reading(client, "2026-01-12T04:55:00Z", 19.3)
    status = client.get("/api/status").json
    assert status["time"] == "2026-01-12T05:00:00Z" and status["stale_after_s"] == 900
    room = status["rooms"][0]
    assert room["measured_temperature_c"] == 19.3 and room["temperature_c"] == 18.8
    assert (room["humidity_pct"], room["battery_pct"], room["reading_age_s"], room["in_sync"]) == (50.5, 88, 300, True)
    assert room["thermometers"] == [{"id": house["thermometer"], "mac": "A4:C1:38:11:22:33", "name": None,
                                     "checked_at": "2026-01-12T04:55:00Z", "stale_after_s": 900, "problem": None}]
    assert "base_url" not in room["valves"][0]["bridge"]  # the status above was read without credentials
    signed_in = client.get("/api/status", headers=SERVICE).json["rooms"][0]
    assert signed_in["valves"][0]["bridge"]["base_url"] == "http://127.0.0.1:8091"
    assert room["valves"][0]["state"] is None
    clock.advance(minutes=11)  # 16 minutes after the reading: stale
    room = client.get("/api/status").json["rooms"][0]
    assert (room["reading_age_s"], room["in_sync"]) == (960, False)
    client.patch("/api/settings", json={"stale_after_min": 20}, headers=SERVICE)
    assert client.get("/api/status").json["rooms"][0]["in_sync"] is True


def test_room_without_readings(client, house):
    room = client.get("/api/status").json["rooms"][0]
    assert room["temperature_c"] is None and room["in_sync"] is False and room["reading_age_s"] is None


def test_valve_state_is_the_last_confirmed(client, house):
    for time, state in (("2026-01-12T04:00:00Z", "closed"), ("2026-01-12T04:30:00Z", "open")):
        client.post(f"/api/valves/{house['valve']}/state", json={"time": time, "state": state}, headers=SERVICE)
    assert client.get("/api/status").json["rooms"][0]["valves"][0]["state"]["state"] == "open"
    earlier = client.get("/api/status?at=2026-01-12T04:10:00Z").json["rooms"][0]["valves"][0]["state"]
    assert earlier["state"] == "closed"


SUNDAY_SPRING = {"switch_points": [{"weekday": 6, "time": "02:30", "temperature_c": 21.0},
                                   {"weekday": 6, "time": "09:00", "temperature_c": 17.0}]}


@pytest.mark.parametrize("at, target, source", [
    ("2026-03-29T00:59:00Z", 17.0, "schedule"),   # 01:59 CET, the previous Sunday's 09:00 point
    ("2026-03-29T01:00:00Z", 21.0, "schedule"),   # 03:00 CEST: the 02:30 point took effect at the jump
    ("2026-03-29T06:59:00Z", 21.0, "schedule"),
    ("2026-03-29T07:00:00Z", 17.0, "schedule"),   # 09:00 CEST
    ("2026-10-25T00:29:00Z", 17.0, "schedule"),   # 02:29 CEST
    ("2026-10-25T00:30:00Z", 21.0, "schedule"),   # 02:30 CEST, first occurrence
    ("2026-10-25T01:30:00Z", 21.0, "schedule"),   # 02:30 CET again: nothing fires a second time
    ("2026-10-25T08:00:00Z", 17.0, "schedule"),   # 09:00 CET
])
def test_targets_on_dst_days(client, house, at, target, source):
    client.put(f"/api/rooms/{house['room']}/schedule", json=SUNDAY_SPRING, headers=SERVICE)
    room = client.get(f"/api/status?at={at}").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (target, source)


def test_current_and_next_switch_point_across_the_spring_gap(client, house):
    client.put(f"/api/rooms/{house['room']}/schedule", json=SUNDAY_SPRING, headers=SERVICE)
    room = client.get("/api/status?at=2026-03-29T00:30:00%2B00:00").json["rooms"][0]
    assert room["current_switch_point"] == {"weekday": 6, "time": "09:00", "temperature_c": 17.0,
                                            "at": "2026-03-22T08:00:00Z"}
    assert room["next_switch_point"] == {"weekday": 6, "time": "02:30", "temperature_c": 21.0,
                                         "at": "2026-03-29T01:00:00Z"}


def test_house_mode_and_frost_floor(client, house, clock):
    client.put(f"/api/rooms/{house['room']}/schedule",
               json={"switch_points": [{"weekday": 0, "time": "05:00", "temperature_c": 21.0}]}, headers=SERVICE)
    assert client.put("/api/mode", json={"mode": "away", "away_temp_c": 15}, headers=SERVICE).json["mode"] == "away"
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (15.0, "away")
    holiday = client.put("/api/mode", json={"mode": "holiday", "holiday_temp_c": 5, "holiday_until": "2026-01-14"},
                         headers=SERVICE).json
    assert holiday["holiday_until"] == "2026-01-13T23:00:00Z"  # the start of 14 January in Amsterdam
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (7.0, "frost")
    # An override still wins over the holiday.
    client.put(f"/api/rooms/{house['room']}/override", json={"temperature_c": 19, "until": "2026-01-12T06:00:00Z"},
               headers=SERVICE)
    assert client.get("/api/status").json["rooms"][0]["target_source"] == "override"
    clock.advance(days=2)  # the holiday ended by itself
    status = client.get("/api/status").json
    assert status["house_mode"]["mode"] == "home" and status["rooms"][0]["target_source"] == "schedule"
    assert client.get("/api/mode").json["mode"] == "home"


@pytest.mark.parametrize("body, field", [
    ({"mode": "holiday"}, "holiday_until"),
    ({"mode": "holiday", "holiday_until": "2026-01-01"}, "holiday_until"),
    ({"mode": "asleep"}, "mode"),
    ({"mode": "away", "away_temp_c": 3}, "away_temp_c"),
])
def test_bad_mode(client, body, field):
    response = client.put("/api/mode", json=body, headers=SERVICE)
    assert response.status_code == 422
    assert field in response.json["detail"]
    assert client.get("/api/mode").json["mode"] == "home"


def test_status_bad_at(client):
    response = client.get("/api/status?at=noon")
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "at"


def test_settings(client):
    assert client.get("/api/settings").json == {"stale_after_min": 15, "gas_price_per_m3": 1.45, "currency": "EUR",
                                                "gas_kwh_per_m3": 9.769, "notify_urls": []}
    assert client.patch("/api/settings", json={"gas_price_per_m3": 1.2}, headers=SERVICE).json["gas_price_per_m3"] == 1.2
    for bad in ({"stale_after_min": 0}, {"currency": "euro"}, {"colour": 1}, {"gas_price_per_m3": None}):
        assert client.patch("/api/settings", json=bad, headers=SERVICE).status_code == 422
    assert client.get("/api/settings").json["gas_price_per_m3"] == 1.2


def test_a_holiday_planned_ahead_starts_and_ends_by_itself(client, house, clock):
    # Now is Monday 06:00 in Amsterdam; away from Wednesday, back on Saturday.
    answer = client.put("/api/mode", json={"mode": "holiday", "holiday_temp_c": 12, "holiday_from": "2026-01-14",
                                            "holiday_until": "2026-01-17"}, headers=SERVICE)
    assert answer.status_code == 200, answer.json
    assert answer.json["mode"] == "home"
    assert answer.json["planned_holiday"] == {"from": "2026-01-13T23:00:00Z", "until": "2026-01-16T23:00:00Z"}
    assert client.get("/api/status").json["rooms"][0]["target_source"] != "holiday"
    during = client.get("/api/status", query_string={"at": "2026-01-15T12:00:00Z"}).json
    assert during["house_mode"]["mode"] == "holiday" and during["house_mode"]["planned_holiday"] is None
    assert (during["rooms"][0]["target_c"], during["rooms"][0]["target_source"]) == (12.0, "holiday")
    after = client.get("/api/status", query_string={"at": "2026-01-17T12:00:00Z"}).json
    assert after["house_mode"]["mode"] == "home"
    # History knows both ends.
    steps = client.get(f"/api/rooms/{house['room']}/history",
                       query_string={"from": "2026-01-13T12:00:00Z", "to": "2026-01-17T12:00:00Z"}).json["targets"]
    assert [(t["time"], t["source"]) for t in steps] == [
        ("2026-01-13T12:00:00Z", "default"), ("2026-01-13T23:00:00Z", "holiday"), ("2026-01-16T23:00:00Z", "default")]


def test_a_holiday_that_ends_before_it_starts_is_refused(client, house):
    answer = client.put("/api/mode", json={"mode": "holiday", "holiday_from": "2026-01-20", "holiday_until": "2026-01-17"},
                        headers=SERVICE)
    assert answer.status_code == 422 and "holiday_from" in answer.json["detail"]
    assert client.get("/api/mode").json["mode"] == "home"


def test_summer_turns_the_heating_off_but_keeps_the_frost_floor(client, house):
    client.put(f"/api/rooms/{house['room']}/schedule", json={"switch_points": [
        {"weekday": d, "time": "05:00", "temperature_c": 21.0} for d in range(7)]}, headers=SERVICE)
    answer = client.put("/api/mode", json={"mode": "summer"}, headers=SERVICE)
    assert answer.status_code == 200 and answer.json["mode"] == "summer"
    room = client.get("/api/status").json["rooms"][0]
    assert (room["target_c"], room["target_source"]) == (7.0, "summer")
    # Someone cold on a summer evening can still heat one room for a while.
    client.post(f"/api/rooms/{house['room']}/boost", json={"minutes": 30}, headers=SERVICE)
    assert client.get("/api/status").json["rooms"][0]["target_source"] == "boost"


def test_in_summer_the_valves_own_program_holds_the_frost_temperature(client, house):
    client.put(f"/api/rooms/{house['room']}/schedule", json={"switch_points": [
        {"weekday": d, "time": "05:00", "temperature_c": 21.0} for d in range(7)]}, headers=SERVICE)
    winter = client.get(f"/api/rooms/{house['room']}/valve-program").json
    client.put("/api/mode", json={"mode": "summer"}, headers=SERVICE)
    summer = client.get(f"/api/rooms/{house['room']}/valve-program").json
    # A new version, so the control loop rewrites the valves; a controller that dies in summer leaves them cold.
    assert summer["version"] != winter["version"]
    assert client.get("/api/status").json["rooms"][0]["valve_program_version"] == summer["version"]
    assert {p["temperature_c"] for day in summer["days"].values() for p in day} == {7.0}
    client.put("/api/mode", json={"mode": "home"}, headers=SERVICE)
    assert client.get(f"/api/rooms/{house['room']}/valve-program").json["version"] == winter["version"]
