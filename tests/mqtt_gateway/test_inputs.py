"""Sensors of the home over MQTT, through the gateway and the API into the control loop's decision."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mqtt_gateway.discovery import Topics
from mqtt_gateway.inputs import contact_open, outdoor_temperature, person_home
from onoff import engine
from onoff.config import ControlConfig
from onoff.strategies import make_strategy
from onoff.weather import with_outdoor_sensor
from tests.mosquitto import wait_until


@pytest.fixture
def online(house, make_gateway, listener, prefixes):
    t = Topics(prefixes["discovery"], prefixes["base"])
    make_gateway()
    listener.wait_for(lambda m: m.get(t.availability) == b"online", what="online")
    return t


def _room(api, room_id):
    return next(r for r in api.get("/api/status")["rooms"] if r["id"] == room_id)


def test_a_window_contact_over_mqtt_closes_the_rooms_valves(house, online, listener):
    api, room = house["api"], house["room"]
    # zigbee2mqtt's door sensor: contact false means open.
    listener.publish(online.room_contact(room, "balcony"), '{"contact": false, "battery": 90}')
    entry = wait_until(lambda: (r := _room(api, room))["window_open"] and r, what="the window open")
    assert entry["contacts"][0]["name"] == "balcony" and entry["contacts"][0]["source"] == "mqtt"
    listener.json(online.room_state(room), where=lambda s: s["window_open"] is True)
    status = api.get("/api/status")
    now = datetime.fromisoformat(status["time"].replace("Z", "+00:00"))
    result = engine.tick(status, {}, now, engine.EngineState(), make_strategy("zoning"), ControlConfig())
    decision = next(d for d in result.decisions if d["room_id"] == room)
    assert decision["outcome"] == "closed"  # the valve had reported itself open: now shut
    [command] = result.valve_commands
    assert command.mode == "away" and command.target_c == ControlConfig().closed_target_c and command.until > now
    listener.publish(online.room_contact(room, "balcony"), "OFF")
    wait_until(lambda: not _room(api, room)["window_open"], what="the window closed")


def test_everyone_leaving_over_mqtt_makes_the_house_away(house, online, listener):
    api = house["api"]
    listener.publish(online.presence("anna"), "home")
    listener.publish(online.presence("bob"), "home")
    wait_until(lambda: len(api.get("/api/presence")["people"]) == 2, what="two people")
    listener.publish(online.presence("anna"), "not_home")
    listener.publish(online.presence("bob"), "work")  # a Home Assistant zone: not home
    wait_until(lambda: api.get("/api/mode")["mode"] == "away", what="the house away")
    listener.json(online.house_state, where=lambda s: s["mode"] == "away")
    listener.publish(online.presence("bob"), '{"home": true}')
    wait_until(lambda: api.get("/api/mode")["mode"] == "home", what="the house home")


def test_an_outdoor_thermometer_over_mqtt_is_the_weather(house, online, listener):
    api = house["api"]
    listener.publish(online.outdoor_temperature, '{"temperature": -2.5, "humidity": 80}')
    status = wait_until(lambda: (s := api.get("/api/status"))["outdoor"] and s, what="the outdoor reading")
    assert status["outdoor"]["temperature_c"] == -2.5
    assert with_outdoor_sensor({"outdoor_temp_c": 5.0}, status)["outdoor_temp_c"] == -2.5


def test_retained_and_unreadable_reports_change_nothing(house, make_gateway, listener, prefixes):
    api, room = house["api"], house["room"]
    t = Topics(prefixes["discovery"], prefixes["base"])
    # Left retained at the broker before the gateway came: old news of unknown age.
    listener.publish(t.room_contact(room), "ON", retain=True)
    make_gateway()
    listener.wait_for(lambda m: m.get(t.availability) == b"online", what="online")
    listener.publish(t.room_contact(room), "ajar")
    listener.publish(t.outdoor_temperature, "cold")
    listener.publish(t.presence("anna"), "home")  # a marker: reports are handled in order
    wait_until(lambda: api.get("/api/presence")["people"], what="the marker")
    assert _room(api, room)["contacts"] == [] and api.get("/api/status")["outdoor"] is None


@pytest.mark.parametrize("payload, expected", [
    ("ON", True), ("off", False), ("open", True), ("closed", False), ('{"contact": true}', False),
    ('{"contact": false}', True), ('{"open": true}', True)])
def test_contact_payloads(payload, expected):
    assert contact_open(payload) is expected


@pytest.mark.parametrize("payload", ["ajar", "", '{"battery": 90}', "2"])
def test_contact_payloads_refused(payload):
    with pytest.raises(ValueError):
        contact_open(payload)


def test_presence_and_temperature_payloads():
    assert person_home("home") and not person_home("not_home") and not person_home("school")
    with pytest.raises(ValueError):
        person_home("unavailable")
    assert outdoor_temperature("3.5") == 3.5 and outdoor_temperature('{"temperature_c": -1}') == -1.0
    for bad in ("NaN", "true", '{"humidity": 3}', "warm"):
        with pytest.raises(ValueError):
            outdoor_temperature(bad)
