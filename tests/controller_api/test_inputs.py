"""Inputs from the home through the API: window contacts, presence, the outdoor thermometer."""
from __future__ import annotations

from datetime import timedelta

from onoff import engine
from onoff.config import ControlConfig
from onoff.strategies import make_strategy
from onoff.weather import with_outdoor_sensor
from tests.controller_api.conftest import SERVICE


def _status_room(client, room_id):
    return next(r for r in client.get("/api/status").json["rooms"] if r["id"] == room_id)


def test_a_window_contact_is_in_the_status_and_shuts_the_rooms_valves_in_the_loop(client, house, clock):
    room = house["room"]
    assert _status_room(client, room)["contacts"] == [] and _status_room(client, room)["window_open"] is False
    answer = client.post(f"/api/rooms/{room}/contacts", json={"open": True, "source": "mqtt"}, headers=SERVICE)
    assert answer.status_code == 200, answer.json
    entry = _status_room(client, room)
    assert entry["window_open"] is True
    assert entry["contacts"] == [{"name": "window", "open": True, "time": "2026-01-12T05:00:00Z", "source": "mqtt"}]
    # The loop's engine, fed the API's own status, closes the room with an expiring command.
    client.post("/api/readings", json={"readings": [{"mac": "A4:C1:38:11:22:33", "time": "2026-01-12T04:59:00Z",
                                                     "temperature_c": 17.0, "format": "pvvx"}]}, headers=SERVICE)
    config = ControlConfig()
    status = client.get("/api/status").json
    result = engine.tick(status, {}, clock.now(), engine.EngineState(), make_strategy("zoning"), config)
    decision = next(d for d in result.decisions if d["room_id"] == room)
    assert decision["outcome"] == "closed" and "window contact reports open" in decision["reason"]
    assert [(c.mode, c.target_c, c.until) for c in result.valve_commands] == [
        ("away", config.closed_target_c, engine.lease_end(clock.now(), config))]
    # An older report does not undo a newer one; a newer closed one does.
    client.post(f"/api/rooms/{room}/contacts", json={"open": False, "time": "2026-01-12T04:00:00Z"}, headers=SERVICE)
    assert _status_room(client, room)["window_open"] is True
    clock.advance(minutes=1)
    client.post(f"/api/rooms/{room}/contacts", json={"open": False}, headers=SERVICE)
    assert _status_room(client, room)["window_open"] is False


def test_bad_contact_reports_change_nothing(client, house):
    room = house["room"]
    assert client.post("/api/rooms/999/contacts", json={"open": True}, headers=SERVICE).status_code == 404
    bad = client.post(f"/api/rooms/{room}/contacts", json={"open": "maybe"}, headers=SERVICE)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "open"
    assert client.post(f"/api/rooms/{room}/contacts", json={"open": True}).status_code == 401
    assert _status_room(client, room)["contacts"] == []


def test_the_house_goes_away_when_everyone_left_and_home_when_someone_arrives(client, clock):
    def report(person, home):
        clock.advance(seconds=10)
        answer = client.post("/api/presence", json={"person": person, "home": home, "source": "mqtt"}, headers=SERVICE)
        assert answer.status_code == 200, answer.json
        return answer.json

    assert report("anna", True)["mode"] == "home"
    assert report("bob", True)["mode"] == "home"
    assert report("anna", False)["mode"] == "home"  # bob is still in
    after = report("bob", False)
    assert after["mode"] == "away" and after["anyone_home"] is False
    assert client.get("/api/mode").json["mode"] == "away"
    assert report("anna", True)["mode"] == "home"
    # A mode set by hand holds while presence only repeats itself.
    report("anna", False)
    assert client.get("/api/mode").json["mode"] == "away"
    assert client.put("/api/mode", json={"mode": "home"}, headers=SERVICE).status_code == 200
    assert report("anna", False)["mode"] == "home"
    # A holiday is not ended by anyone arriving.
    client.put("/api/mode", json={"mode": "holiday", "holiday_until": "2026-02-01"}, headers=SERVICE)
    assert report("bob", True)["mode"] == "holiday"
    assert [p["person"] for p in client.get("/api/presence").json["people"]] == ["anna", "bob"]
    assert client.post("/api/presence", json={"person": "", "home": True}, headers=SERVICE).status_code == 422


def test_an_outdoor_thermometer_is_the_loops_outdoor_temperature_while_fresh(client, clock):
    assert client.get("/api/status").json["outdoor"] is None
    answer = client.post("/api/outdoor-readings", json={"temperature_c": -3.5, "source": "mqtt"}, headers=SERVICE)
    assert answer.json == {"stored": 1, "duplicates": 0}
    status = client.get("/api/status").json
    assert status["outdoor"] == {"time": "2026-01-12T05:00:00Z", "temperature_c": -3.5, "source": "mqtt"}
    forecast = {"outdoor_temp_c": 4.0, "forecast": [{"time": "2026-01-12T06:00:00Z", "temperature_c": 4.5}]}
    weather = with_outdoor_sensor(forecast, status)
    assert weather["outdoor_temp_c"] == -3.5 and weather["forecast"] == forecast["forecast"]
    clock.advance(hours=1, seconds=1)
    stale = client.get("/api/status").json
    assert stale["outdoor"] is None and with_outdoor_sensor(forecast, stale) == forecast
    assert client.post("/api/outdoor-readings", json={"temperature_c": 99}, headers=SERVICE).status_code == 422
