"""thermostat_reader.poster against the real API: the thermometer list with bind keys, readings posted."""
from __future__ import annotations

import psycopg

from common.api_client import ApiClient
from common.spool import Spool
from thermostat_reader.poster import fetch_thermometers, readings_sender


def test_the_thermometer_list_carries_bind_keys_for_the_service(api_server):
    client = api_server.client()
    client.post("/api/thermometers", {"mac": "a4:c1:38:02:83:f4", "bind_key": "e9ea895fac7cca6d30532432a516f3a8"})
    client.post("/api/thermometers", {"mac": "A4:C1:38:8D:18:B2"})
    thermometers = fetch_thermometers(client)
    assert set(thermometers) == {"A4:C1:38:02:83:F4", "A4:C1:38:8D:18:B2"}
    assert thermometers["A4:C1:38:02:83:F4"]["bind_key"] == "e9ea895fac7cca6d30532432a516f3a8"
    # Without the token the API keeps bind keys to itself.
    anonymous = fetch_thermometers(ApiClient(api_server.url))
    assert not anonymous["A4:C1:38:02:83:F4"].get("bind_key")


def test_spooled_readings_are_posted_and_stored_once(tmp_path, api_server):
    client = api_server.client()
    room = client.post("/api/rooms", {"name": "Study"})
    client.post("/api/thermometers", {"mac": "A4:C1:38:8D:18:B2", "room_id": room["id"]})
    spool = Spool(tmp_path, max_bytes=1_000_000)
    sender = readings_sender(client, spool)
    record = {"mac": "A4:C1:38:8D:18:B2", "time": "2026-01-12T05:29:10.000Z", "temperature_c": 20.91,
              "humidity_pct": 44.96, "battery_pct": 67, "voltage_v": 2.807, "rssi_dbm": -62, "format": "pvvx",
              "encrypted": False}
    sender.submit([record])
    sender.submit([record])  # a replay after a crash between posting and committing
    assert sender.flush()
    with psycopg.connect(api_server.database_url) as conn:
        stored = conn.execute("SELECT temperature_c, humidity_pct, battery_pct, voltage_v, rssi_dbm, room_id "
                              "FROM readings").fetchall()
    assert stored == [(20.91, 44.96, 67, 2.807, -62, room["id"])]
