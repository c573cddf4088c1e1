"""A house in the API, the gateway on a private broker, and a listener that sees what Home Assistant would."""
from __future__ import annotations

import itertools
import os
import threading
from datetime import datetime, timedelta, timezone

import pytest

from mqtt_gateway.service import GatewayService
from mqtt_gateway.settings import MqttSettings
from tests.mosquitto import Listener

_ids = itertools.count()


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
