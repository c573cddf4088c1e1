"""`make demo --mqtt`: the whole stack against the simulated house, seen and steered over MQTT.

A private Mosquitto; the demo at 60× real time with its gateway, and the P1 reader taking the
meter's telegrams from MQTT as dsmr-reader publishes them. Over MQTT, as Home Assistant would:
discovery and state, a temperature command becoming the room's target, a window contact closing
the room's valves (the real control loop, the simulated valves answering), everyone leaving
making the house away.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import requests

from demo.stack import Stack, StackConfig
from mqtt_gateway.discovery import Topics
from tests.mosquitto import Listener, Mosquitto, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SPEED = 60.0
START = datetime(2027, 1, 11, 5, 0, tzinfo=timezone(timedelta(hours=1)))  # a cold Monday, 05:00 in Amsterdam


@pytest.fixture(scope="module")
def demo():
    broker = Mosquitto().start()
    unique = f"{os.getpid()}"
    topics = Topics(f"hae2e{unique}", f"heatinge2e{unique}")
    listener = Listener(broker.host, broker.port, [topics.discovery_prefix, topics.base])
    workdir = Path(tempfile.mkdtemp(prefix="heating-e2e-mqtt-"))
    config = StackConfig(workdir=workdir, speed=SPEED, start=START, api_port=0, fresh=True, build_page=False,
                         mqtt_url=broker.url, mqtt_discovery_prefix=topics.discovery_prefix,
                         mqtt_base_topic=topics.base)
    try:
        with Stack(config) as stack:
            yield stack, topics, listener
            stack.check_alive()
    finally:
        listener.clear_retained()
        listener.close()
        broker.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _status(stack) -> dict:
    return requests.get(f"{stack.api_url}/api/status", timeout=10).json()


def _room(stack, name: str) -> dict:
    return next(r for r in _status(stack)["rooms"] if r["name"] == name)


def test_discovery_and_state_of_the_simulated_house(demo):
    stack, t, listener = demo
    status = _status(stack)
    with_valves = [r for r in status["rooms"] if r["valves"]]
    assert len(with_valves) >= 5
    for room in with_valves:
        config = listener.json(t.config("climate", f"room_{room['id']}"), timeout=60)
        assert config["device"]["name"] == room["name"]
    without = [r for r in status["rooms"] if not r["valves"]]
    assert all(t.config("climate", f"room_{r['id']}") not in listener.messages for r in without)
    living = next(r for r in with_valves if r["name"] == "Living room")
    state = listener.json(t.room_state(living["id"]), timeout=60, where=lambda s: s["temperature_c"] is not None)
    assert 5 < state["temperature_c"] < 30 and state["humidity_pct"] is not None
    listener.wait_for(lambda m: m.get(t.availability) == b"online", what="online")
    assert json.loads(listener.messages[t.house_state])["mode"] == "home"


def test_telegrams_reach_the_database_through_mqtt(demo):
    stack, t, _ = demo

    def counted():
        with psycopg.connect(stack.database_url) as conn:
            return conn.execute("SELECT count(*) FROM electricity_readings").fetchone()[0]

    wait_until(lambda: counted() >= 2, 120, "electricity readings from MQTT telegrams")
    log = (stack.config.workdir / "logs" / "p1_reader.log").read_text(errors="replace")
    assert f"Reading P1 telegrams from {stack.config.mqtt_url}/{t.base}/dsmr/raw" in log


def test_a_temperature_then_a_window_contact_over_mqtt(demo):
    stack, t, listener = demo
    living = _room(stack, "Living room")
    listener.publish(t.room_target_set(living["id"]), "23.5")
    wait_until(lambda: _room(stack, "Living room")["target_c"] == 23.5, 30, "the target from MQTT")
    room = _room(stack, "Living room")
    assert room["target_source"] == "override" and room["override"]["ends_at"] == room["next_switch_point"]["at"]
    # Below 23.5 °C the loop opens the valves; the simulated valves confirm it.
    wait_until(lambda: all((v["state"] or {}).get("state") == "open" for v in _room(stack, "Living room")["valves"]),
          180, "the living room's valves open")
    listener.json(t.room_state(living["id"]), timeout=60, where=lambda s: s["hvac_action"] == "heating")
    listener.publish(t.room_contact(living["id"], "balcony door"), '{"contact": false}')  # zigbee2mqtt: open
    wait_until(lambda: _room(stack, "Living room")["window_open"], 30, "the window open in the API")
    closed = wait_until(lambda: (r := _room(stack, "Living room")) and all(
        (v["state"] or {}).get("state") == "closed" for v in r["valves"]) and r, 180, "the valves closed")
    for valve in closed["valves"]:
        assert valve["state"]["until"] is not None  # an expiring setting, as every command
    with psycopg.connect(stack.database_url) as conn:
        reasons = [row[0] for row in conn.execute(
            "SELECT reason FROM decisions WHERE room_id = %s ORDER BY time DESC LIMIT 5", (living["id"],))]
    assert any("contact reports open" in reason for reason in reasons), reasons
    listener.json(t.room_state(living["id"]), timeout=60, where=lambda s: s["hvac_action"] == "idle")
    listener.publish(t.room_contact(living["id"], "balcony door"), '{"contact": true}')
    wait_until(lambda: not _room(stack, "Living room")["window_open"], 30, "the window closed again")


def test_everyone_leaving_makes_the_house_away(demo):
    stack, t, listener = demo
    listener.publish(t.presence("anna"), "home")
    listener.publish(t.presence("bob"), "home")
    wait_until(lambda: len(requests.get(f"{stack.api_url}/api/presence", timeout=10).json()["people"]) == 2, 30,
          "two people home")
    listener.publish(t.presence("anna"), "not_home")
    listener.publish(t.presence("bob"), "not_home")
    wait_until(lambda: _status(stack)["house_mode"]["mode"] == "away", 30, "the house away")
    listener.json(t.house_state, timeout=60, where=lambda s: s["mode"] == "away")
    # Home Assistant's select brings it back.
    listener.publish(t.house_mode_set, "home")
    wait_until(lambda: _status(stack)["house_mode"]["mode"] == "home", 30, "the house home")
