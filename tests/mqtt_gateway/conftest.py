"""A house in the API, the gateway on a private broker, and a listener that sees what Home Assistant would."""
from __future__ import annotations

import itertools
import json
import os
import threading
import time
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest

from mqtt_gateway.service import GatewayService
from mqtt_gateway.settings import MqttSettings

_ids = itertools.count()


class Listener:
    """An MQTT client that keeps the newest payload of every topic under some prefixes."""

    def __init__(self, url_host: str, port: int, prefixes: list[str], username=None, password=None):
        self.messages: dict[str, bytes] = {}
        self.closed = False
        self.seen: list[tuple[str, bytes, bool]] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-listener-{os.getpid()}-{next(_ids)}")
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe([(f"{p}/#", 1) for p in prefixes])
        self.client.connect(url_host, port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self._cond:
            self.messages[message.topic] = message.payload
            self.seen.append((message.topic, message.payload, bool(message.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = 15.0, what: str = "a message"):
        """Waits until ``predicate(messages)`` is truthy and returns it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(self.messages)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; have {sorted(self.messages)}")
                self._cond.wait(left)

    def json(self, topic: str, timeout: float = 15.0, where=lambda doc: True) -> dict:
        def found(messages):
            payload = messages.get(topic)
            if payload:
                doc = json.loads(payload)
                return doc if where(doc) else None
            return None

        return self.wait_for(found, timeout, what=topic)

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def clear_retained(self) -> None:
        """Leaves the broker without retained messages of the test."""
        for topic, payload in list(self.messages.items()):
            if payload:
                self.publish(topic, "", retain=True)

    def close(self) -> None:
        self.closed = True
        self.client.loop_stop()
        self.client.disconnect()


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


@pytest.fixture
def house(api_server):
    """A living room with a thermometer reading, a valve that reported itself open, a schedule."""
    api = api_server.client()
    now = datetime.now(timezone.utc)
    room = api.post("/api/rooms", {"name": "Living room", "default_temp_c": 18})
    bridge = api.post("/api/bridges", {"name": "Pi", "kind": "pi", "base_url": "http://127.0.0.1:1"})
    api.post("/api/thermometers", {"mac": "A4:C1:38:11:22:33", "room_id": room["id"], "format": "pvvx"})
    valve = api.post("/api/valves", {"mac": "00:1A:22:0C:3B:5D", "room_id": room["id"], "bridge_id": bridge["id"],
                                     "name": "Window", "radiator_power_w": 1500})
    api.post("/api/readings", {"readings": [{"mac": "A4:C1:38:11:22:33", "time": iso(now - timedelta(seconds=30)),
                                             "temperature_c": 19.4, "humidity_pct": 48.0, "battery_pct": 93,
                                             "format": "pvvx"}]})
    api.post(f"/api/valves/{valve['id']}/state", {"time": iso(now - timedelta(seconds=20)), "state": "open",
                                                 "target_c": 30.0, "valve_pct": 100, "mode": "manual"})
    api.put(f"/api/rooms/{room['id']}/schedule", {"switch_points": [
        {"weekday": d, "time": t, "temperature_c": c} for d in range(7) for t, c in (("06:30", 20.0), ("22:00", 16.0))]})
    yield {"api": api, "room": room["id"], "valve": valve["id"], "bridge": bridge["id"]}
    api.close()


class Gateway:
    def __init__(self, settings: MqttSettings):
        self.settings = settings
        self.service = GatewayService(settings)
        self.thread = threading.Thread(target=self.service.run, daemon=True)
        self.thread.start()

    @property
    def topics(self):
        return self.service.topics

    def stop(self) -> None:
        self.service.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the gateway did not stop"


@pytest.fixture
def prefixes():
    unique = f"{os.getpid()}_{next(_ids)}"
    return {"discovery": f"hatest{unique}", "base": f"heatingtest{unique}"}


@pytest.fixture
def make_gateway(api_server, mosquitto, prefixes):
    gateways: list[Gateway] = []

    def factory(**overrides) -> Gateway:
        values = {"mqtt_url": mosquitto.url, "mqtt_discovery_prefix": prefixes["discovery"],
                  "mqtt_base_topic": prefixes["base"], "api_url": api_server.url,
                  "service_token": api_server.service_token, "mqtt_publish_s": 1.0, "tz": "Europe/Amsterdam"}
        values.update(overrides)
        gateway = Gateway(MqttSettings(_env_file=None, **values))
        gateways.append(gateway)
        return gateway

    yield factory
    for gateway in gateways:
        if gateway.thread.is_alive():
            gateway.stop()


@pytest.fixture
def listener(mosquitto, prefixes):
    seen = Listener(mosquitto.host, mosquitto.port, [prefixes["discovery"], prefixes["base"]])
    yield seen
    if mosquitto.process is not None and not seen.closed:
        seen.clear_retained()
    seen.close()
