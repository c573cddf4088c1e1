"""thermostat_reader.valve_bridge.ble: the Bluetooth transport's failure paths (no valve hardware here).

Without a reachable valve (no adapter, no BlueZ, or the valve out of range) every exchange must
end in BluetoothTimeout within its time limit, with the scanner paused and resumed in pairs.
"""
from __future__ import annotations

import time

import pytest

from thermostat_reader.valve_bridge.ble import BleakValveTransport
from thermostat_reader.valve_bridge.transport import BluetoothTimeout

MAC = "00:1A:22:0C:3B:5D"


class CountingScanner:
    def __init__(self):
        self.paused = 0
        self.pauses = 0
        self.looked_up: list[str] = []

    def pause(self) -> None:
        self.paused += 1
        self.pauses += 1

    def resume(self) -> None:
        self.paused -= 1

    def device(self, mac: str):
        self.looked_up.append(mac)
        return None


def test_an_unreachable_valve_is_a_bluetooth_timeout_and_the_scanner_resumes():
    scanner = CountingScanner()
    transport = BleakValveTransport(scan_pauser=scanner, device_lookup=scanner.device, connect_attempts=1,
                                    find_timeout_s=1.0)
    transport.start()
    try:
        started = time.monotonic()
        for _ in range(2):
            with pytest.raises(BluetoothTimeout):
                transport.exchange(MAC, bytes.fromhex("4501"), 1.0)
        assert time.monotonic() - started < 10
    finally:
        transport.stop()
    assert scanner.pauses == 2 and scanner.paused == 0
    assert scanner.looked_up == [MAC, MAC]


def test_exchange_before_start_is_a_programming_error():
    with pytest.raises(RuntimeError, match="start"):
        BleakValveTransport().exchange(MAC, bytes.fromhex("4501"), 1.0)


def test_a_valve_answers_through_bleak_retry_connector_and_the_simulated_bluez():
    from datetime import datetime

    from protocols import eq3
    from simulator.eq3_valve import SimulatedEq3Valve
    from tests.bluez import simulated_bluez

    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=19.0)
    with simulated_bluez([valve]) as house:
        scanner = CountingScanner()
        transport = BleakValveTransport(scan_pauser=scanner, device_lookup=scanner.device, connect_attempts=2,
                                        find_timeout_s=2.0)
        transport.start()
        try:
            # Not seen by the thermometer scan: the transport finds it with a scan of its own.
            answer = eq3.decode_status(transport.exchange(MAC, eq3.encode_target(21.5), 5.0))
            assert (answer.target_temp_c, answer.mode) == (21.5, "manual")
            status = eq3.decode_status(transport.exchange(MAC, eq3.encode_status_request(datetime(2026, 1, 12, 7)),
                                                          5.0))
            assert status.target_temp_c == 21.5 and valve.target_c == 21.5
            assert house.bluez.connects == 2 and house.bluez.writes == 2
            # Disconnected after each command: the valve's radio (and battery) rests between commands.
            assert not house.bluez.devices[MAC].connected
        finally:
            transport.stop()
    assert scanner.pauses == 2 and scanner.paused == 0


def test_pairing_through_a_bluez_agent_with_the_pin_and_the_bond_outlives_a_restart():
    from protocols import eq3
    from simulator.bluez import ADAPTER_ADDRESS
    from simulator.eq3_valve import SimulatedEq3Valve
    from tests.bluez import simulated_bluez
    from thermostat_reader.valve_bridge.transport import NotPaired, WrongPin

    valve = SimulatedEq3Valve(MAC, version="1.48", pin="428715", mode="manual", target_c=19.0)
    with simulated_bluez([valve]) as house:
        transport = BleakValveTransport(connect_attempts=1, find_timeout_s=2.0)
        transport.start()
        try:
            with pytest.raises(NotPaired):
                transport.exchange(MAC, eq3.encode_target(22.0), 3.0)
            assert valve.target_c == 19.0
            with pytest.raises(WrongPin):
                transport.pair(MAC, "428716", 3.0)
            assert valve.bonds == set() and not house.bluez.devices[MAC].paired
            transport.pair(MAC, "428715", 3.0)
            assert valve.bonds == {ADAPTER_ADDRESS} and house.bluez.devices[MAC].paired
            # The agent was there only while pairing.
            assert house.bluez.agent_manager.agents == []
        finally:
            transport.stop()
        # A restarted bridge (a new process would be the same): BlueZ keeps the bond, no PIN again.
        again = BleakValveTransport(connect_attempts=1, find_timeout_s=2.0)
        again.start()
        try:
            assert eq3.decode_status(again.exchange(MAC, eq3.encode_target(22.0), 3.0)).target_temp_c == 22.0
        finally:
            again.stop()


def test_connection_faults_are_survived_and_no_state_is_claimed_that_the_valve_did_not_report():
    import requests

    from protocols import eq3
    from simulator.eq3_valve import SimulatedEq3Valve
    from tests.bluez import simulated_bluez
    from thermostat_reader.valve_bridge import BridgeSettings, PiValveBridge

    valve = SimulatedEq3Valve(MAC, mode="manual", target_c=19.0)
    with simulated_bluez([valve]) as house:
        settings = BridgeSettings(_env_file=None, bridge_valves=MAC, bridge_host="127.0.0.1", bridge_port=0,
                                  bridge_timeout_s=1, bridge_connect_attempts=3,
                                  bridge_token="test-bridge-token-0123456789")
        bridge = PiValveBridge(settings).start()
        url = f"{bridge.url}/valves/{MAC}"
        auth = {"Authorization": "Bearer test-bridge-token-0123456789"}
        try:
            assert requests.get(f"{url}?refresh=1", headers=auth, timeout=30).json()["target_c"] == 19.0
            # InProgress (another connection attempt under way) once: bleak-retry-connector tries again.
            house.bluez.call(lambda: house.bluez.add_faults(in_progress=1))
            moved = requests.post(f"{url}/target", json={"temperature_c": 20.0}, headers=auth, timeout=30)
            assert moved.status_code == 200 and moved.json()["target_c"] == 20.0
            # Every connection attempt fails: a timeout, and the cached state is what the valve last said.
            house.bluez.call(lambda: house.bluez.add_faults(connect_failures=10))
            failed = requests.post(f"{url}/target", json={"temperature_c": 23.0}, headers=auth, timeout=60)
            assert (failed.status_code, failed.json()["error"]) == (504, "bluetooth_timeout")
            assert valve.target_c == 20.0 and requests.get(url, headers=auth, timeout=5).json()["target_c"] == 20.0
            house.bluez.call(house.bluez.clear_faults)
            # The valve takes the command and drops the link before answering, twice (the bridge sends
            # it once more): the valve did change, but the bridge claims nothing it did not hear.
            house.bluez.call(lambda: house.bluez.add_faults(drop_mid_command=2))
            dropped = requests.post(f"{url}/target", json={"temperature_c": 24.0}, headers=auth, timeout=60)
            assert (dropped.status_code, dropped.json()["error"]) == (504, "bluetooth_timeout")
            assert valve.target_c == 24.0
            assert requests.get(url, headers=auth, timeout=5).json()["target_c"] == 20.0
            # The next read-back learns the truth from the valve itself.
            assert requests.get(f"{url}?refresh=1", headers=auth, timeout=30).json()["target_c"] == 24.0
            assert eq3.encode_target(24.0) in valve.commands_received
        finally:
            bridge.stop()
