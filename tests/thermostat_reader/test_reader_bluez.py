"""thermostat_reader's real Bluetooth path (bleak, unchanged) against the simulated house's BlueZ.

The reader scans with bleak over D-Bus; the simulated BlueZ turns the thermometers' advertisements
into Device1 objects and their changes, as bluetoothd does. Readings end in PostgreSQL through the
real API; the Pi's valve bridge in the same process drives a simulated eQ-3 through bleak-retry-connector.
"""
from __future__ import annotations

import time

import requests

from protocols import eq3
from simulator.eq3_valve import SimulatedEq3Valve
from tests.bluez import simulated_bluez
from tests.thermostat_reader.test_reader_service import add_thermometer, rows, run_in_thread, settings_for, wait_for
from thermostat_reader.service import ReaderService
from thermostat_reader.sources import BluetoothSource

PVVX_UUID = "0000181a-0000-1000-8000-00805f9b34fb"
BTHOME_UUID = "0000fcd2-0000-1000-8000-00805f9b34fb"
VALVE = "00:1A:22:0C:3B:5D"


def test_thermometers_heard_through_bleak_and_bluez_arrive_in_postgresql(tmp_path, api_server):
    client = api_server.client()
    room = client.post("/api/rooms", {"name": "Living room"})
    add_thermometer(client, room["id"], "A4:C1:38:8D:18:B2")
    add_thermometer(client, room["id"], "A4:C1:38:11:22:33")
    with simulated_bluez() as house:
        settings = settings_for(tmp_path, api_server.url, api_server.service_token, advert_source="bluetooth")
        service = ReaderService(settings)
        assert isinstance(service.source, BluetoothSource)
        thread, result = run_in_thread(service)
        try:
            wait_for(lambda: house.bluez.adapter.discovering, what="the reader to start discovery")
            # bleak's active scan asks for LE only and every change (BlueZ's SetDiscoveryFilter).
            assert house.bluez.adapter.discovery_filter == {"Transport": "le", "DuplicateData": False}
            for rssi in (-62, -63, -62):
                # pvvx: custom-components/ble_monitor test_atc_parser.py (test_atc_custom_v2_9)
                house.bluez.advertise("A4:C1:38:8D:18:B2", rssi, "ATC_8D18B2",
                                      {PVVX_UUID: bytes.fromhex("b2188d38c1a42b089011f70a43200f")})
                # BTHome v2: Bluetooth-Devices/bthome-ble test_parser_v2.py
                house.bluez.advertise("A4:C1:38:11:22:33", rssi - 9, None,
                                      {BTHOME_UUID: bytes.fromhex("400009015d025d0903b718")})
                time.sleep(0.05)
            stored = wait_for(lambda: (r := rows(api_server.database_url,
                                                 "SELECT upper(mac::text), temperature_c, humidity_pct, battery_pct "
                                                 "FROM readings ORDER BY mac")) and len(r) == 2 and r,
                              what="two readings in PostgreSQL")
            assert stored == [("A4:C1:38:11:22:33", 23.97, 63.27, 93), ("A4:C1:38:8D:18:B2", 20.91, 44.96, 67)]
        finally:
            service.stop()
            thread.join(15)
        assert result == [0]
        # Stopped cleanly: discovery is off again.
        assert house.bluez.adapter.discovering is False


def test_nothing_is_heard_before_discovery_starts():
    with simulated_bluez() as house:
        house.bluez.advertise("A4:C1:38:8D:18:B2", -60, "ATC", {PVVX_UUID: b"\x01"})
        heard = []
        source = BluetoothSource(start_timeout_s=10)
        time.sleep(0.1)
        assert house.bluez.devices == {}
        source.start(heard.append)
        try:
            house.bluez.advertise("A4:C1:38:8D:18:B2", -61, "ATC", {PVVX_UUID: b"\x02"})
            wait_for(lambda: heard, what="an advertisement")
            # An unchanged advertisement changes no property, so bleak reports nothing new (DuplicateData off).
            count = len(heard)
            house.bluez.advertise("A4:C1:38:8D:18:B2", -61, "ATC", {PVVX_UUID: b"\x02"})
            time.sleep(0.2)
            assert len(heard) == count and heard[-1].service_data == {PVVX_UUID: b"\x02"}
        finally:
            source.stop()


def test_the_pi_bridge_in_the_reader_drives_a_valve_through_bleak(tmp_path):
    valve = SimulatedEq3Valve(VALVE, mode="manual", target_c=19.0)
    with simulated_bluez([valve]) as house:
        settings = settings_for(tmp_path, "http://127.0.0.1:9", "token", advert_source="bluetooth",
                                bridge_enabled=True, bridge_host="127.0.0.1", bridge_port=0, bridge_valves=VALVE,
                                bridge_timeout_s=5, bridge_token="test-bridge-token-0123456789")
        from common.api_client import ApiClient

        service = ReaderService(settings, client=ApiClient("http://127.0.0.1:9", "token", 1.0))
        thread, result = run_in_thread(service)
        try:
            wait_for(lambda: service.bridge is not None and house.bluez.adapter.discovering,
                     what="the bridge and the scan to start")
            auth = {"Authorization": "Bearer test-bridge-token-0123456789"}
            status = requests.get(f"{service.bridge.url}/valves/{VALVE}?refresh=1", headers=auth, timeout=30)
            assert status.status_code == 200, status.text
            assert (status.json()["mode"], status.json()["target_c"]) == ("manual", 19.0)
            moved = requests.post(f"{service.bridge.url}/valves/{VALVE}/target", json={"temperature_c": 22.5},
                                  headers=auth, timeout=30)
            assert moved.status_code == 200 and moved.json()["target_c"] == 22.5
            assert valve.target_c == 22.5
            assert eq3.encode_target(22.5) in valve.commands_received
            assert house.bluez.connects == 2  # one connection per command, closed after it
            # The scan was paused for each connection and runs again.
            wait_for(lambda: house.bluez.adapter.discovering, what="the scan to resume")
        finally:
            service.stop()
            thread.join(15)
        assert result == [0]


def test_the_pi_bridge_pairs_a_valve_with_the_pin_on_its_display(tmp_path):
    valve = SimulatedEq3Valve(VALVE, version="1.48", pin="428715", mode="manual", target_c=19.0)
    with simulated_bluez([valve]) as house:
        settings = settings_for(tmp_path, "http://127.0.0.1:9", "token", advert_source="bluetooth",
                                bridge_enabled=True, bridge_host="127.0.0.1", bridge_port=0, bridge_valves=VALVE,
                                bridge_timeout_s=5, bridge_token="test-bridge-token-0123456789")
        from common.api_client import ApiClient

        service = ReaderService(settings, client=ApiClient("http://127.0.0.1:9", "token", 1.0))
        thread, result = run_in_thread(service)
        try:
            wait_for(lambda: service.bridge is not None and house.bluez.adapter.discovering,
                     what="the bridge and the scan to start")
            url = f"{service.bridge.url}/valves/{VALVE}"
            auth = {"Authorization": "Bearer test-bridge-token-0123456789"}
            refused = requests.get(f"{url}?refresh=1", headers=auth, timeout=30)
            assert (refused.status_code, refused.json()["error"]) == (409, "not_paired")
            wrong = requests.post(f"{url}/pair", json={"pin": "428716"}, headers=auth, timeout=30)
            assert (wrong.status_code, wrong.json()["error"]) == (403, "wrong_pin")
            assert valve.bonds == set()
            paired = requests.post(f"{url}/pair", json={"pin": "428715"}, headers=auth, timeout=30)
            assert paired.status_code == 200 and paired.json() == {"mac": VALVE, "paired": True}
            status = requests.get(f"{url}?refresh=1", headers=auth, timeout=30)
            assert status.status_code == 200 and status.json()["target_c"] == 19.0
        finally:
            service.stop()
            thread.join(15)
        assert result == [0]


def test_a_stuck_adapter_is_recovered_by_the_reader_and_shown_as_a_problem(tmp_path, api_server):
    import threading

    client = api_server.client()
    room = client.post("/api/rooms", {"name": "Living room"})
    add_thermometer(client, room["id"], "A4:C1:38:8D:18:B2")
    bridge = client.post("/api/bridges", {"name": "pi", "kind": "pi", "base_url": "http://127.0.0.1:8091"})
    with simulated_bluez() as house:
        # Speed 60: the watchdog's 30 simulated seconds are half a wall second.
        settings = settings_for(tmp_path, api_server.url, api_server.service_token, advert_source="bluetooth",
                                watchdog_s=30, max_restarts=3)
        service = ReaderService(settings)
        stop = threading.Event()

        def thermometer() -> None:
            count = 0
            while not stop.is_set():
                count += 1
                payload = bytes.fromhex("b2188d38c1a42b089011f70a43200f")
                house.bluez.advertise("A4:C1:38:8D:18:B2", -60 - count % 5, "ATC_8D18B2", {PVVX_UUID: payload})
                stop.wait(0.05)

        sender = threading.Thread(target=thermometer, daemon=True)
        thread, result = run_in_thread(service)
        sender.start()
        try:
            wait_for(lambda: service._last_heard is not None and service._heard_since_restart is False
                     and house.bluez.adapter.discovering, what="the scan to hear the thermometer")
            house.bluez.call(house.bluez.set_stuck)
            assert house.bluez.adapter.discovering  # the adapter still says it discovers
            wait_for(lambda: house.bluez.unstuck_by is not None, timeout_s=20, what="the reader to unstick it")
            assert house.bluez.unstuck_by == "discovery stopped and started again"
            # The watchdog (30 simulated s = 0.5 wall s here; 300 s by default) plus one restart.
            assert house.bluez.unstuck_after_s < 5, house.bluez.unstuck_after_s
            problems = wait_for(lambda: [p for p in client.get("/api/problems")["problems"]
                                         if p["code"] == "adapter_stuck"], what="the adapter's problem")
            assert (problems[0]["subject"]["kind"], problems[0]["subject"]["id"]) == ("bridge", bridge["id"])
            wait_for(lambda: all(p["closed_at"] for p in client.get("/api/problems")["problems"]
                                 if p["code"] == "adapter_stuck"), what="the problem to close")
            assert "adapter_stuck" not in str(client.get("/api/status")["problems"])
        finally:
            stop.set()
            service.stop()
            thread.join(15)
        assert result == [0] and service.restarts == 0
        print(f"stuck adapter recovered after {house.bluez.unstuck_after_s:.2f} wall s (watchdog 0.5 s)")
