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
