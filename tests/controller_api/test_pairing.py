"""POST /api/valves/{id}/pair through a real (simulated) bridge, and the valve_unpaired problem."""
from __future__ import annotations

import pytest

from simulator.bridge_server import SimulatedBridgeServer
from simulator.eq3_valve import SimulatedEq3Valve
from tests.controller_api.conftest import SERVICE

MAC = "00:1A:22:0C:3B:5D"
BRIDGE_TOKEN = "test-bridge-token-0123456789"


@pytest.fixture
def bridge(client, house):
    valve = SimulatedEq3Valve(MAC, version="1.48", pin="428715")
    server = SimulatedBridgeServer({MAC: valve}, central="pi", token=BRIDGE_TOKEN).start()
    client.patch(f"/api/bridges/{house['bridge']}", json={"base_url": server.url, "token": BRIDGE_TOKEN},
                 headers=SERVICE)
    yield valve
    server.stop()


def test_the_right_pin_pairs_the_valve(client, house, bridge):
    answer = client.post(f"/api/valves/{house['valve']}/pair", json={"pin": "428715"}, headers=SERVICE)
    assert answer.status_code == 200
    assert answer.json == {"valve_id": house["valve"], "mac": MAC, "paired": True}
    assert bridge.bonds == {"pi"}


@pytest.mark.parametrize("pin, status, words", [
    ("428716", 422, "the valve refused this PIN"),
    ("42871", 422, "pin"),
    (428715, 422, "pin"),
])
def test_a_wrong_or_malformed_pin_is_refused_and_pairs_nothing(client, house, bridge, pin, status, words):
    answer = client.post(f"/api/valves/{house['valve']}/pair", json={"pin": pin}, headers=SERVICE)
    assert answer.status_code == status and words in answer.json["detail"], answer.json
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert bridge.bonds == set()


def test_pairing_needs_credentials_a_known_valve_and_a_bridge_that_answers(client, house):
    assert client.post(f"/api/valves/{house['valve']}/pair", json={"pin": "428715"}).status_code == 401
    assert client.post("/api/valves/999/pair", json={"pin": "428715"}, headers=SERVICE).status_code == 404
    client.patch(f"/api/bridges/{house['bridge']}", json={"base_url": "http://127.0.0.1:9"}, headers=SERVICE)
    answer = client.post(f"/api/valves/{house['valve']}/pair", json={"pin": "428715"}, headers=SERVICE)
    assert answer.status_code == 502 and "did not answer" in answer.json["detail"]


def test_an_unpaired_valve_is_a_problem_of_its_own_until_it_answers(client, house):
    body = {"checks": [{"time": "2026-01-12T05:00:00Z", "kind": "valve", "id": house["valve"], "ok": False,
                        "code": "valve_unpaired", "message": "not_paired"}]}
    assert client.post("/api/device-checks", json=body, headers=SERVICE).status_code == 200
    problems = client.get("/api/status").json["problems"]
    assert [(p["code"], p["severity"]) for p in problems] == [("valve_unpaired", "error")]
    assert "enter the PIN shown on its display" in problems[0]["message"]
    body["checks"][0].update(time="2026-01-12T05:05:00Z", ok=True, code=None)
    assert client.post("/api/device-checks", json=body, headers=SERVICE).status_code == 200
    assert client.get("/api/status").json["problems"] == []
