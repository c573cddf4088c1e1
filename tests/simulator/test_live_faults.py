"""Faults on demand in the live house (``POST /_sim/faults``), over real sockets."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from common.clock import Clock
from simulator.house import load_house
from simulator.live import LiveHouse

BRIDGE_TOKEN = "test-bridge-token-0123456789"
BRIDGE_AUTH = {"Authorization": f"Bearer {BRIDGE_TOKEN}"}

ATTIC_VALVE = "00:1A:22:0C:3C:06"  # the study's valve, on the ESP32 bridge esp32-attic


@pytest.fixture(scope="module")
def live():
    house = load_house()
    clock = Clock(start=datetime(2026, 1, 12, 5, tzinfo=timezone.utc), epoch=time.time(), speed=60.0)
    running = LiveHouse(house, clock, http_port=0, nefit_port=0, p1_port=0, warmup_days=0.1,
                        bridge_ports={name: 0 for name in house.bridges}, bridge_token=BRIDGE_TOKEN).start()
    yield running
    running.stop()


def fault(live, body):
    return requests.post(f"{live.http_url}/_sim/faults", json=body, timeout=10)


def sim_state(live) -> dict:
    return requests.get(f"{live.http_url}/_sim/state", timeout=10).json()


def test_state_shows_no_faults_in_a_healthy_house(live):
    assert sim_state(live)["faults"] == {"valves_unreachable": [], "bridges_unreachable": [],
                                         "thermometers_silent": [], "boiler_unreachable": False}


def test_an_unreachable_valve_is_a_bluetooth_timeout_at_its_bridge_until_restored(live):
    attic = live.bridges["esp32-attic"].url
    assert requests.get(f"{attic}/valves/{ATTIC_VALVE}?refresh=1", headers=BRIDGE_AUTH, timeout=20).status_code == 200
    answer = fault(live, {"valve": ATTIC_VALVE.lower(), "unreachable": True})
    assert answer.status_code == 200
    assert answer.json()["valve"] == ATTIC_VALVE and answer.json()["unreachable"] is True
    assert answer.json()["faults"]["valves_unreachable"] == [ATTIC_VALVE]
    try:
        refused = requests.get(f"{attic}/valves/{ATTIC_VALVE}?refresh=1", headers=BRIDGE_AUTH, timeout=30)
        assert refused.status_code == 504 and refused.json()["error"] == "bluetooth_timeout"
        assert sim_state(live)["faults"]["valves_unreachable"] == [ATTIC_VALVE]
    finally:
        assert fault(live, {"valve": ATTIC_VALVE, "unreachable": False}).status_code == 200
    assert requests.get(f"{attic}/valves/{ATTIC_VALVE}?refresh=1", headers=BRIDGE_AUTH, timeout=20).status_code == 200
    assert sim_state(live)["faults"]["valves_unreachable"] == []


def test_an_unreachable_bridge_closes_its_port_and_drops_open_connections(live):
    bridge = live.bridges["pi"]
    url, port = bridge.url, bridge.port
    kept_alive = requests.Session()  # as the control loop's client: connections are reused
    kept_alive.headers.update(BRIDGE_AUTH)
    assert kept_alive.get(f"{url}/health", timeout=5).status_code == 200
    assert fault(live, {"bridge": "pi", "unreachable": True}).json()["faults"]["bridges_unreachable"] == ["pi"]
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/health", headers=BRIDGE_AUTH, timeout=5)
        with pytest.raises(requests.ConnectionError):
            kept_alive.get(f"{url}/health", timeout=5)
        # The other bridge is a different device and keeps serving.
        assert requests.get(f"{live.bridges['esp32-attic'].url}/health", headers=BRIDGE_AUTH, timeout=5).status_code == 200
    finally:
        assert fault(live, {"bridge": "pi", "unreachable": False}).status_code == 200
    assert bridge.port == port
    assert kept_alive.get(f"{url}/health", timeout=5).json()["ok"] is True
    assert sim_state(live)["faults"]["bridges_unreachable"] == []
    kept_alive.close()


def _heard(live, seconds: float) -> set[str]:
    heard = set()
    with requests.get(f"{live.http_url}/adverts", stream=True, timeout=10) as stream:
        deadline = time.monotonic() + seconds
        for line in stream.iter_lines():
            heard.add(json.loads(line)["address"])
            if time.monotonic() > deadline:
                break
    return heard


def test_a_silent_thermometer_sends_nothing_while_the_others_go_on(live):
    macs = [r.thermometer.mac for r in live.house.rooms]
    # pvvx in the living room: an advertisement every few simulated seconds, so silence is telling.
    living = live.house.rooms[live.house.room_index("living")].thermometer.mac
    assert fault(live, {"thermometer": living.lower(), "silent": True}).json()["faults"]["thermometers_silent"] \
        == [living]
    try:
        heard = _heard(live, 4.0)
        assert living not in heard
        assert len(heard) >= len(macs) - 2  # the rest are heard (MiBeacon ones may be between packets)
    finally:
        assert fault(live, {"thermometer": living, "silent": False}).status_code == 200
    assert living in _heard(live, 4.0)


def test_an_unreachable_boiler_fails_every_request_until_restored(live):
    nefit = live.nefit.url
    assert fault(live, {"boiler": {"unreachable": True}}).json()["faults"]["boiler_unreachable"] is True
    try:
        for path in ("/api/status", "/bridge/ecus/rrc/uiStatus", "/api/status"):
            answer = requests.get(f"{nefit}{path}", timeout=5)
            assert answer.status_code == 500 and "REQUEST_TIMEOUT" in answer.text
        posted = requests.post(f"{nefit}/bridge/heatingCircuits/hc1/usermode", json={"value": "manual"}, timeout=5)
        assert posted.status_code == 500
    finally:
        assert fault(live, {"boiler": {"unreachable": False}}).status_code == 200
    assert requests.get(f"{nefit}/api/status", timeout=5).status_code == 200
    assert sim_state(live)["faults"]["boiler_unreachable"] is False


def test_turning_a_valve_by_hand_changes_its_target_and_keeps_its_mode(live):
    before = sim_state(live)["valve_states"][ATTIC_VALVE]
    wanted = 24.5 if before["target_c"] != 24.5 else 23.0
    answer = fault(live, {"valve": ATTIC_VALVE, "turn_by_hand": wanted})
    assert answer.status_code == 200
    assert answer.json()["target_c"] == wanted and answer.json()["mode"] == before["mode"]
    after = sim_state(live)["valve_states"][ATTIC_VALVE]
    assert after["target_c"] == wanted and after["mode"] == before["mode"]
    reported = requests.get(f"{live.bridges['esp32-attic'].url}/valves/{ATTIC_VALVE}?refresh=1", headers=BRIDGE_AUTH, timeout=20).json()
    assert reported["target_c"] == wanted


def test_a_window_opened_and_a_low_battery_show_in_the_valves_status(live):
    attic = live.bridges["esp32-attic"].url
    answer = fault(live, {"valve": ATTIC_VALVE, "window_open": True})
    assert answer.status_code == 200 and answer.json()["target_c"] == 12.0
    assert fault(live, {"valve": ATTIC_VALVE, "low_battery": True}).status_code == 200
    try:
        state = sim_state(live)["valve_states"][ATTIC_VALVE]
        assert (state["window_open"], state["low_battery"], state["target_c"], state["firmware"]) == (
            True, True, 12.0, "new")
        reported = requests.get(f"{attic}/valves/{ATTIC_VALVE}?refresh=1", headers=BRIDGE_AUTH, timeout=20).json()
        assert reported["target_c"] == 12.0
    finally:
        assert fault(live, {"valve": ATTIC_VALVE, "low_battery": False}).status_code == 200
        # The window-open function ends (as it does after its duration).
        live.sim.valves[ATTIC_VALVE].window_until = live.clock.now() - timedelta(days=1)
    assert sim_state(live)["valve_states"][ATTIC_VALVE]["window_open"] is False


@pytest.mark.parametrize("body, status, words", [
    ({"valve": "00:1A:22:99:99:99", "unreachable": True}, 404, "valve"),
    ({"valve": "00:1A:22:99:99:99", "turn_by_hand": 21.0}, 404, "valve"),
    ({"bridge": "cellar", "unreachable": True}, 404, "cellar"),
    ({"thermometer": "A4:C1:38:99:99:99", "silent": True}, 404, "thermometer"),
    ([1, 2], 400, "object"),
    ({}, 400, "exactly one device"),
    ({"valve": ATTIC_VALVE, "bridge": "pi", "unreachable": True}, 400, "exactly one device"),
    ({"valve": ATTIC_VALVE, "unreachable": "yes"}, 400, "unreachable: true or false"),
    ({"valve": ATTIC_VALVE, "unreachable": True, "turn_by_hand": 20.0}, 400, "exactly one of"),
    ({"valve": ATTIC_VALVE, "turn_by_hand": 31.0}, 400, "turn_by_hand"),
    ({"valve": ATTIC_VALVE, "turn_by_hand": 20.3}, 400, "turn_by_hand"),
    ({"valve": ATTIC_VALVE, "window_open": False}, 400, "window_open: true"),
    ({"valve": ATTIC_VALVE, "low_battery": "no"}, 400, "low_battery: true or false"),
    ({"valve": 7, "unreachable": True}, 400, "valve: a MAC"),
    ({"bridge": "pi", "unreachable": True, "minutes": 5}, 400, "unknown key(s) minutes"),
    ({"thermometer": "A4:C1:38:99:99:99", "silent": 1}, 400, "silent: true or false"),
    ({"boiler": True}, 400, "boiler: an object"),
    ({"boiler": {"unreachable": True, "for_s": 60}}, 400, "boiler.for_s"),
])
def test_a_wrong_request_is_refused_with_its_reason_and_changes_nothing(live, body, status, words):
    before = sim_state(live)
    answer = fault(live, body)
    assert answer.status_code == status
    assert answer.json()["error"] == ("not_found" if status == 404 else "bad_request")
    assert words in answer.json()["message"]
    after = sim_state(live)
    assert after["faults"] == before["faults"]
    assert after["valve_states"][ATTIC_VALVE]["target_c"] == before["valve_states"][ATTIC_VALVE]["target_c"]


def test_a_body_that_is_not_json_is_refused(live):
    answer = requests.post(f"{live.http_url}/_sim/faults", data=b"{valve", timeout=5)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"


def test_a_locked_valves_wheel_does_nothing(live):
    valve = live.sim.valves[ATTIC_VALVE]
    before = valve.target_c
    valve.locked = True
    try:
        answer = fault(live, {"valve": ATTIC_VALVE, "turn_by_hand": 29.0 if before != 29.0 else 28.0})
        assert answer.status_code == 409 and answer.json()["error"] == "locked"
        assert valve.target_c == before
    finally:
        valve.locked = False


def test_adapter_faults_need_the_simulated_bluez(live):
    answer = fault(live, {"adapter": "stuck"})
    assert answer.status_code == 409 and answer.json()["error"] == "no_adapter"


def test_adapter_faults_on_demand(tmp_path):
    house = load_house()
    clock = Clock(start=datetime(2026, 1, 12, 5, tzinfo=timezone.utc), epoch=time.time(), speed=60.0)
    running = LiveHouse(house, clock, http_port=0, nefit_port=0, p1_port=0, warmup_days=0.05,
                        bridge_ports={name: 0 for name in house.bridges}, bluez_socket=str(tmp_path / "bus"),
                        bluez_bridges=frozenset({"pi"}), bridge_token=BRIDGE_TOKEN).start()
    try:
        assert "pi" not in running.bridges  # the product's Pi bridge serves those valves over BlueZ
        assert fault(running, {"adapter": "stuck"}).json()["faults"]["adapter"]["stuck"] is True
        answer = fault(running, {"adapter": {"connect_failures": 2, "in_progress": 1, "drop_mid_command": 1}})
        assert answer.status_code == 200
        assert answer.json()["faults"]["adapter"] == {"stuck": True, "connect_failures": 2, "in_progress": 1,
                                                      "drop_mid_command": 1}
        state = sim_state(running)
        assert state["bluez"]["stuck"] is True and state["bluez"]["valves"]
        assert state["valve_states"][state["bluez"]["valves"][0]]["pin"] is not None
        for body, words in (({"adapter": "broken"}, 'adapter: "stuck", "ok"'),
                            ({"adapter": {"connect_failures": -1}}, "adapter.connect_failures"),
                            ({"adapter": {"stuck": True}}, "unknown key(s) adapter.stuck"),
                            ({"adapter": "ok", "valve": ATTIC_VALVE}, "exactly one device")):
            refused = fault(running, body)
            assert refused.status_code == 400 and words in refused.json()["message"], refused.json()
        assert fault(running, {"adapter": "ok"}).json()["faults"]["adapter"] == {
            "stuck": False, "connect_failures": 0, "in_progress": 0, "drop_mid_command": 0}
    finally:
        running.stop()
