"""The gateway against a real Mosquitto and the real API: discovery, state, commands, removal, lost broker."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

from mqtt_gateway.discovery import Topics
from tests.mosquitto import Listener


def _topics(prefixes) -> Topics:
    return Topics(prefixes["discovery"], prefixes["base"])


def _online(listener, t: Topics):
    return listener.wait_for(lambda m: m.get(t.availability) == b"online", what="online")


def test_discovery_and_state_of_a_room(house, make_gateway, listener, mosquitto, prefixes):
    t = _topics(prefixes)
    make_gateway()
    room = house["room"]
    climate = listener.json(t.config("climate", f"room_{room}"))
    assert climate["unique_id"] == f"{t.node}_room_{room}"
    assert climate["device"]["identifiers"] == [f"{t.node}_room_{room}"]
    assert climate["device"]["name"] == "Living room"
    assert climate["availability_topic"] == t.availability
    assert climate["temperature_command_topic"] == t.room_target_set(room)
    assert climate["preset_modes"] == ["schedule", "boost", "away"]
    state = listener.json(t.room_state(room))
    assert state["temperature_c"] == 19.4 and state["humidity_pct"] == 48.0 and state["battery_pct"] == 93
    assert state["hvac_action"] == "heating"  # the valve reported itself open
    assert state["valve_openings"] == {str(house["valve"]): 100}
    status = house["api"].get("/api/status")
    assert state["target_c"] == status["rooms"][0]["target_c"]
    assert state["preset"] == ("away" if status["rooms"][0]["target_source"] in ("away", "holiday") else "schedule")
    for sensor in ("temperature", "humidity", "battery", "gas_today", "gas_month", f"valve_{house['valve']}_opening"):
        config = listener.json(t.config("sensor", f"room_{room}_{sensor}"))
        assert config["state_topic"] == t.room_state(room)
        assert config["device"]["identifiers"] == [f"{t.node}_room_{room}"]
    select = listener.json(t.config("select", "house_mode"))
    assert select["options"] == ["home", "away", "holiday"] and select["command_topic"] == t.house_mode_set
    assert listener.json(t.config("binary_sensor", "boiler_heating"))["state_topic"] == t.house_state
    assert listener.json(t.house_state)["mode"] == "home"
    _online(listener, t)
    # Configs are retained: Home Assistant started later still finds them.
    late = Listener(mosquitto.host, mosquitto.port, [prefixes["discovery"]])
    try:
        late.json(t.config("climate", f"room_{room}"), timeout=5)
        assert all(retained for topic, _, retained in late.seen)
    finally:
        late.close()


def test_a_temperature_from_home_assistant_becomes_the_rooms_target_until_the_next_switch_point(
        house, make_gateway, listener, prefixes):
    t = _topics(prefixes)
    make_gateway()
    _online(listener, t)
    room, api = house["room"], house["api"]
    listener.publish(t.room_target_set(room), "21.5")
    state = listener.json(t.room_state(room), where=lambda s: s["target_c"] == 21.5)
    assert state["preset"] == "none" and state["target_source"] == "override"
    status = api.get("/api/status")["rooms"][0]
    assert status["target_c"] == 21.5 and status["target_source"] == "override"
    assert status["override"]["ends_at"] == status["next_switch_point"]["at"]

    # Nonsense changes nothing.
    listener.publish(t.room_target_set(room), "warm")
    listener.publish(t.room_target_set(room), "99")
    time.sleep(2.5)
    assert api.get(f"/api/rooms/{room}/override")["override"]["temperature_c"] == 21.5


def test_a_room_without_schedule_holds_the_temperature_a_day(house, make_gateway, listener, prefixes):
    t = _topics(prefixes)
    api, room = house["api"], house["room"]
    api.put(f"/api/rooms/{room}/schedule", {"switch_points": []})
    make_gateway()
    _online(listener, t)
    listener.publish(t.room_target_set(room), "20")
    listener.json(t.room_state(room), where=lambda s: s["target_c"] == 20.0 and s["target_source"] == "override")
    override = api.get(f"/api/rooms/{room}/override")["override"]
    held = datetime.fromisoformat(override["ends_at"]) - datetime.fromisoformat(override["starts_at"])
    assert timedelta(hours=23, minutes=59) < held <= timedelta(hours=24, seconds=5)


def test_presets_and_the_house_mode(house, make_gateway, listener, prefixes):
    t = _topics(prefixes)
    make_gateway()
    _online(listener, t)
    api, room = house["api"], house["room"]
    listener.publish(t.room_preset_set(room), "boost")
    listener.json(t.room_state(room), where=lambda s: s["preset"] == "boost" and s["target_c"] == 30.0)
    assert api.get(f"/api/rooms/{room}/override")["override"]["kind"] == "boost"
    listener.publish(t.room_preset_set(room), "schedule")
    listener.json(t.room_state(room), where=lambda s: s["preset"] == "schedule")
    assert api.get(f"/api/rooms/{room}/override")["override"] is None
    listener.publish(t.room_preset_set(room), "away")
    listener.json(t.house_state, where=lambda s: s["mode"] == "away")
    assert api.get("/api/mode")["mode"] == "away"
    listener.json(t.room_state(room), where=lambda s: s["preset"] == "away" and s["target_source"] == "away")
    listener.publish(t.house_mode_set, "home")
    listener.json(t.house_state, where=lambda s: s["mode"] == "home")
    assert api.get("/api/mode")["mode"] == "home"
    listener.publish(t.house_mode_set, "holiday")  # needs an end date: refused, nothing changes
    time.sleep(2.5)
    assert api.get("/api/mode")["mode"] == "home"


def test_open_problems_are_binary_sensors_and_go_when_solved(house, make_gateway, listener, prefixes):
    t = _topics(prefixes)
    make_gateway()
    _online(listener, t)
    api, valve = house["api"], house["valve"]
    now = datetime.now().astimezone()
    api.post("/api/device-checks", {"checks": [{"time": now.isoformat(), "kind": "valve", "id": valve, "ok": False,
                                                "code": "valve_unreachable", "message": "bluetooth_timeout"}]})
    key = f"valve_unreachable_valve_{valve}"
    config = listener.json(t.config("binary_sensor", f"problem_{key}"))
    assert config["device_class"] == "problem"
    assert config["device"]["identifiers"] == [f"{t.node}_room_{house['room']}"]  # the valve's room
    state = listener.json(t.problem_state(key))
    assert state["state"] == "ON" and "Window" in state["message"]
    api.post("/api/device-checks", {"checks": [{"time": (now + timedelta(seconds=1)).isoformat(), "kind": "valve",
                                                "id": valve, "ok": True}]})
    listener.wait_for(lambda m: m.get(t.config("binary_sensor", f"problem_{key}")) == b"", what="problem removed")


def test_a_deleted_room_loses_its_entities_also_when_deleted_while_the_gateway_was_off(
        house, make_gateway, listener, prefixes):
    t = _topics(prefixes)
    api = house["api"]
    study = api.post("/api/rooms", {"name": "Study"})
    attic = api.post("/api/rooms", {"name": "Attic"})
    gateway = make_gateway()
    listener.json(t.config("sensor", f"room_{study['id']}_temperature"))
    listener.json(t.config("sensor", f"room_{attic['id']}_temperature"))
    assert t.config("climate", f"room_{study['id']}") not in listener.messages  # no valves: no climate
    api.request("DELETE", f"/api/rooms/{study['id']}")
    listener.wait_for(lambda m: m.get(t.config("sensor", f"room_{study['id']}_temperature")) == b"",
                      what="study removed")
    listener.wait_for(lambda m: m.get(t.room_state(study["id"])) == b"", what="study's state removed")
    gateway.stop()
    listener.wait_for(lambda m: m.get(t.availability) == b"offline", what="offline on stop")

    api.request("DELETE", f"/api/rooms/{attic['id']}")
    make_gateway()
    listener.wait_for(lambda m: m.get(t.config("sensor", f"room_{attic['id']}_gas_today")) == b"",
                      what="attic removed after a restart")
    # The living room kept its ids across the restart.
    assert json.loads(listener.messages[t.config("climate", f"room_{house['room']}")])["unique_id"] == \
        f"{t.node}_room_{house['room']}"


def test_losing_the_broker_stops_nothing_and_it_comes_back(house, make_gateway, listener, mosquitto, prefixes):
    t = _topics(prefixes)
    gateway = make_gateway()
    _online(listener, t)
    listener.close()
    mosquitto.stop()
    time.sleep(2)
    assert gateway.thread.is_alive()
    # The house goes on: the API takes changes while the broker is away.
    house["api"].put(f"/api/rooms/{house['room']}/override", {"temperature_c": 19.0, "until": "next_switch"})
    mosquitto.start()  # the same port, no retained messages left (no persistence)
    again = Listener(mosquitto.host, mosquitto.port, [prefixes["discovery"], prefixes["base"]])
    try:
        again.json(t.config("climate", f"room_{house['room']}"), timeout=70)
        again.json(t.room_state(house["room"]), where=lambda s: s["target_c"] == 19.0)
        again.wait_for(lambda m: m.get(t.availability) == b"online", what="online again")
        again.clear_retained()
    finally:
        again.close()


def test_the_broker_says_offline_for_a_gateway_that_died(house, api_server, mosquitto, listener, prefixes):
    t = _topics(prefixes)
    env = dict(os.environ, HEATING_MQTT_URL=mosquitto.url, HEATING_MQTT_DISCOVERY_PREFIX=prefixes["discovery"],
               HEATING_MQTT_BASE_TOPIC=prefixes["base"], HEATING_API_URL=api_server.url,
               HEATING_SERVICE_TOKEN=api_server.service_token, HEATING_MQTT_PUBLISH_S="2")
    process = subprocess.Popen([sys.executable, "-m", "mqtt_gateway"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        _online(listener, t)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        listener.wait_for(lambda m: m.get(t.availability) == b"offline", what="the last will")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_credentials_in_the_url(house, api_server, prefixes):
    from tests.mosquitto import Mosquitto

    from mqtt_gateway.service import GatewayService
    from mqtt_gateway.settings import MqttSettings

    broker = Mosquitto(users={"heating": "s3cret/pass"}).start()
    try:
        t = _topics(prefixes)
        seen = Listener(broker.host, broker.port, [prefixes["base"]], username="heating", password="s3cret/pass")
        settings = MqttSettings(_env_file=None, mqtt_url=f"mqtt://heating:s3cret%2Fpass@{broker.host}:{broker.port}",
                                mqtt_discovery_prefix=prefixes["discovery"], mqtt_base_topic=prefixes["base"],
                                api_url=api_server.url, service_token=api_server.service_token)
        service = GatewayService(settings)
        import threading

        thread = threading.Thread(target=service.run, daemon=True)
        thread.start()
        try:
            seen.wait_for(lambda m: m.get(t.availability) == b"online", what="online with credentials")
        finally:
            service.stop()
            thread.join(15)
            seen.close()
    finally:
        broker.close()


def test_bad_settings_are_named_and_exit_2(tmp_path):
    for key, value in (("HEATING_MQTT_URL", "http://broker:1883"), ("HEATING_MQTT_URL", "mqtt://broker:99999"),
                       ("HEATING_MQTT_BASE_TOPIC", "heating/#")):
        result = subprocess.run([sys.executable, "-m", "mqtt_gateway"], env=dict(os.environ, **{key: value}),
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert key[len("HEATING_"):].lower() in result.stderr


def test_an_api_that_does_not_answer_makes_the_entities_unavailable(house, api_server, make_gateway, listener,
                                                                    prefixes):
    t = _topics(prefixes)
    gateway = make_gateway()
    _online(listener, t)
    api_server.stop()
    listener.wait_for(lambda m: m.get(t.availability) == b"offline", what="offline without the API")
    assert gateway.thread.is_alive()
    # The last state stays retained: Home Assistant shows it greyed out, not as something new.
    assert json.loads(listener.messages[t.room_state(house["room"])])["temperature_c"] == 19.4
