"""The live house: every device surface over real sockets, on an accelerated clock."""
from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timezone

import pytest
import requests
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from common.clock import Clock
from protocols import lywsd03mmc
from simulator.house import load_house
from simulator.live import LiveHouse


BRIDGE_TOKEN = "test-bridge-token-0123456789"
BRIDGE_AUTH = {"Authorization": f"Bearer {BRIDGE_TOKEN}"}

@pytest.fixture(scope="module")
def live():
    house = load_house()
    clock = Clock(start=datetime(2026, 1, 12, 5, tzinfo=timezone.utc), epoch=time.time(), speed=60.0)
    running = LiveHouse(house, clock, http_port=0, nefit_port=0, p1_port=0,
                        bridge_ports={name: 0 for name in house.bridges}, bridge_token=BRIDGE_TOKEN).start()
    yield running
    running.stop()


def test_advert_stream_carries_every_thermometer_in_its_format(live):
    house = live.house
    keys = {r.thermometer.mac: r.thermometer for r in house.rooms}
    seen = {}
    with requests.get(f"{live.http_url}/adverts", stream=True, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/x-ndjson"
        deadline = time.time() + 20
        for line in answer.iter_lines():
            advert = json.loads(line)
            assert set(advert) == {"address", "rssi", "local_name", "service_data", "time"}
            (uuid, payload), = advert["service_data"].items()
            thermometer = keys[advert["address"]]
            key = bytes.fromhex(thermometer.bind_key) if thermometer.bind_key else None
            reading = lywsd03mmc.decode(uuid, bytes.fromhex(payload), mac=advert["address"], bind_key=key)
            if reading.temperature_c is not None:
                seen[advert["address"]] = reading.temperature_c
            if len(seen) == len(keys) or time.time() > deadline:
                break
    assert set(seen) == set(keys)
    assert all(10 < t < 25 for t in seen.values())


def test_bridges_serve_their_valves(live):
    pi, attic = live.bridges["pi"], live.bridges["esp32-attic"]
    assert len(requests.get(f"{pi.url}/valves", headers=BRIDGE_AUTH, timeout=5).json()["valves"]) == 7
    answer = requests.post(f"{attic.url}/valves/00:1A:22:0C:3C:06/target", json={"temperature_c": 4.5}, headers=BRIDGE_AUTH, timeout=10)
    assert answer.status_code == 200 and answer.json()["target_c"] == 4.5
    assert live.sim.valves["00:1A:22:0C:3C:06"].target_c == 4.5


def test_nefit_surface_and_fail_knob(live):
    assert requests.get(f"{live.nefit.url}/api/status", timeout=5).json()["user mode"] in ("clock", "manual")
    knob = requests.post(f"{live.http_url}/_sim/fail", json={"count": 1}, timeout=5)
    assert knob.status_code == 200
    assert requests.get(f"{live.nefit.url}/api/status", timeout=5).status_code == 500
    assert requests.get(f"{live.nefit.url}/api/status", timeout=5).status_code == 200
    assert requests.post(f"{live.http_url}/_sim/fail", json={"count": "many"}, timeout=5).status_code == 400


def test_p1_telegrams_carry_simulated_time_and_gas(live):
    with socket.create_connection(("127.0.0.1", live.p1.port), timeout=5) as conn:
        buffer = b""
        while b"!" not in buffer or not buffer.endswith(b"\r\n"):
            buffer += conn.recv(4096)
    parsed = TelegramParser(telegram_specifications.V5).parse(buffer.decode("ascii"))
    assert parsed.P1_MESSAGE_TIMESTAMP.value.year == 2026
    assert float(parsed.MBUS_METER_READING.value) >= live.house.boiler.gas_meter_start_m3


def test_house_time_follows_the_shared_clock(live):
    time.sleep(1.0)
    state = requests.get(f"{live.http_url}/_sim/state", timeout=5).json()
    simulated = datetime.fromisoformat(state["time"].replace("Z", "+00:00"))
    assert abs((live.clock.now() - simulated).total_seconds()) < 120
    assert len(state["rooms"]) == len(live.house.rooms)
