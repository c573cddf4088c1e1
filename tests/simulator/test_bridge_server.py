"""simulator.bridge_server: the bridge contract over simulated valves, while the house steps them."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import requests

from simulator.bridge_server import SimulatedBridgeServer
from simulator.eq3_valve import SimulatedEq3Valve

BRIDGE_TOKEN = "test-bridge-token-0123456789"
BRIDGE_AUTH = {"Authorization": f"Bearer {BRIDGE_TOKEN}"}

MAC = "00:1A:22:0C:3B:5D"
START = datetime(2026, 1, 12, 6, 0, tzinfo=timezone.utc)


def test_commands_reach_the_valve_while_the_house_steps_it():
    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=4.5, valve_pct=0)
    clock = {"now": START}
    server = SimulatedBridgeServer({MAC: valve}, now=lambda: clock["now"], token=BRIDGE_TOKEN).start()
    stop = threading.Event()

    def house() -> None:
        while not stop.is_set():
            clock["now"] += timedelta(seconds=1)
            valve.step(19.0, 1.0, clock["now"])

    stepping = threading.Thread(target=house)
    stepping.start()
    try:
        health = requests.get(server.url + "/health", headers=BRIDGE_AUTH, timeout=5).json()
        assert health["kind"] == "simulated" and health["valves"] == 1
        answer = requests.post(f"{server.url}/valves/{MAC}/target", json={"temperature_c": 30.0}, headers=BRIDGE_AUTH, timeout=5)
        assert answer.status_code == 200 and answer.json()["target_c"] == 30.0
        deadline = datetime.now() + timedelta(seconds=10)
        while valve.valve_pct < 100 and datetime.now() < deadline:
            stop.wait(0.01)
        assert valve.valve_pct == 100
        refreshed = requests.get(f"{server.url}/valves/{MAC}?refresh=1", headers=BRIDGE_AUTH, timeout=5).json()
        assert refreshed["valve_pct"] == 100
    finally:
        stop.set()
        stepping.join()
        server.stop()


def test_an_unreachable_simulated_valve_is_a_bluetooth_timeout():
    valve = SimulatedEq3Valve(MAC)
    valve.unreachable = True
    server = SimulatedBridgeServer({MAC: valve}, now=lambda: START, token=BRIDGE_TOKEN).start()
    try:
        answer = requests.post(f"{server.url}/valves/{MAC}/boost", json={"on": True}, headers=BRIDGE_AUTH, timeout=5)
        assert answer.status_code == 504 and answer.json()["error"] == "bluetooth_timeout"
    finally:
        server.stop()


def test_pairing_with_the_pin_on_the_display_then_commands_are_taken():
    valve = SimulatedEq3Valve(MAC, version="1.48", pin="428715", mode="manual", target_c=19.0)
    server = SimulatedBridgeServer({MAC: valve}, central="esp32-attic", token=BRIDGE_TOKEN).start()
    try:
        refused = requests.post(f"{server.url}/valves/{MAC}/target", json={"temperature_c": 22.0}, headers=BRIDGE_AUTH, timeout=5)
        assert refused.status_code == 409
        assert refused.json() == {"error": "not_paired",
                                  "message": f"valve {MAC} is not paired: enter the PIN shown on its display"}
        for pin, status, error in (("12345", 400, "bad_request"), (428715, 400, "bad_request"),
                                   ("428716", 403, "wrong_pin")):
            answer = requests.post(f"{server.url}/valves/{MAC}/pair", json={"pin": pin}, headers=BRIDGE_AUTH, timeout=5)
            assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text
        assert valve.bonds == set() and valve.target_c == 19.0
        paired = requests.post(f"{server.url}/valves/{MAC}/pair", json={"pin": "428715"}, headers=BRIDGE_AUTH, timeout=5)
        assert paired.status_code == 200 and paired.json() == {"mac": MAC, "paired": True}
        assert valve.bonds == {"esp32-attic"}
        moved = requests.post(f"{server.url}/valves/{MAC}/target", json={"temperature_c": 22.0}, headers=BRIDGE_AUTH, timeout=5)
        assert moved.status_code == 200 and valve.target_c == 22.0
        assert requests.get(f"{server.url}/valves/{MAC}/pair", headers=BRIDGE_AUTH, timeout=5).status_code == 405
    finally:
        server.stop()
