"""thermostat_reader.valve_bridge (PiValveBridge): its valves from the real API, served over real HTTP."""
from __future__ import annotations

from datetime import datetime, timezone

import requests

from common.api_client import ApiClient
from simulator.bridge_server import SimulatedValveTransport
from simulator.eq3_valve import SimulatedEq3Valve
from thermostat_reader.valve_bridge import BridgeSettings, PiValveBridge, start_bridge_server

PI_VALVE = "00:1A:22:0C:3B:5D"
ESP_VALVE = "00:1A:22:0C:3B:5E"
LATE_VALVE = "00:1A:22:0C:3B:5F"


BRIDGE_TOKEN = "test-bridge-token-0123456789"
BRIDGE_AUTH = {"Authorization": f"Bearer {BRIDGE_TOKEN}"}


def seed(client: ApiClient) -> tuple[int, int]:
    room = client.post("/api/rooms", {"name": "Living room"})
    pi = client.post("/api/bridges", {"name": "Pi", "kind": "pi", "base_url": "http://127.0.0.1:8091"})
    esp = client.post("/api/bridges", {"name": "Attic ESP32", "kind": "esp32", "base_url": "http://10.0.0.9"})
    client.post("/api/valves", {"mac": PI_VALVE.lower(), "room_id": room["id"], "bridge_id": pi["id"]})
    client.post("/api/valves", {"mac": ESP_VALVE, "room_id": room["id"], "bridge_id": esp["id"]})
    return room["id"], pi["id"]


def settings_for(api_url: str, token: str, **extra) -> BridgeSettings:
    return BridgeSettings(api_url=api_url, service_token=token, bridge_host="127.0.0.1", bridge_port=0,
                          bridge_token=BRIDGE_TOKEN, **extra)


def valves_transport():
    valves = {mac: SimulatedEq3Valve(mac) for mac in (PI_VALVE, ESP_VALVE, LATE_VALVE)}
    return SimulatedValveTransport(valves, now=lambda: datetime.now(timezone.utc))


def test_serves_the_valves_of_pi_bridges_and_follows_changes(api_server):
    client = api_server.client()
    room_id, pi_id = seed(client)
    bridge = start_bridge_server(settings_for(api_server.url, api_server.service_token),
                                 transport=valves_transport())
    try:
        listed = requests.get(bridge.url + "/valves", headers=BRIDGE_AUTH, timeout=5).json()["valves"]
        assert [v["mac"] for v in listed] == [PI_VALVE]
        answer = requests.post(f"{bridge.url}/valves/{PI_VALVE}/target", json={"temperature_c": 30.0}, headers=BRIDGE_AUTH, timeout=5)
        assert answer.status_code == 200 and answer.json()["target_c"] == 30.0
        assert requests.get(f"{bridge.url}/valves/{ESP_VALVE}", headers=BRIDGE_AUTH, timeout=5).json()["error"] == "unknown_valve"

        client.post("/api/valves", {"mac": LATE_VALVE, "room_id": room_id, "bridge_id": pi_id})
        assert bridge.refresh_valves() is True
        assert bridge.core.valve_macs == [PI_VALVE, LATE_VALVE]
        # The valve kept across the refresh keeps what it last reported.
        assert requests.get(f"{bridge.url}/valves/{PI_VALVE}", headers=BRIDGE_AUTH, timeout=5).json()["target_c"] == 30.0
    finally:
        bridge.stop()


def test_a_bridge_name_picks_one_of_several_pi_bridges(api_server):
    client = api_server.client()
    room_id, _ = seed(client)
    upstairs = client.post("/api/bridges", {"name": "Upstairs Pi", "kind": "pi", "base_url": "http://10.0.0.7"})
    client.post("/api/valves", {"mac": LATE_VALVE, "room_id": room_id, "bridge_id": upstairs["id"]})
    bridge = PiValveBridge(settings_for(api_server.url, api_server.service_token, bridge_name="upstairs pi"),
                           transport=valves_transport())
    try:
        assert bridge.refresh_valves() is True and bridge.core.valve_macs == [LATE_VALVE]
    finally:
        bridge.stop()


def test_an_unreachable_api_keeps_the_current_list():
    api = ApiClient("http://127.0.0.1:9", timeout_s=1)
    bridge = PiValveBridge(settings_for("http://127.0.0.1:9", "token"), transport=valves_transport(), api_client=api)
    try:
        bridge.core.set_valves([PI_VALVE])
        assert bridge.refresh_valves() is False
        assert bridge.core.valve_macs == [PI_VALVE]
    finally:
        bridge.stop()
        api.close()


def test_a_static_list_needs_no_api():
    bridge = start_bridge_server(settings_for("http://127.0.0.1:9", "", bridge_valves=f"{PI_VALVE}, {ESP_VALVE}"),
                                 transport=valves_transport())
    try:
        assert bridge.api is None
        health = requests.get(bridge.url + "/health", headers=BRIDGE_AUTH, timeout=5).json()
        assert health["valves"] == 2 and health["kind"] == "pi"
    finally:
        bridge.stop()
