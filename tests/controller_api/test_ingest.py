from __future__ import annotations

import psycopg
import pytest

from tests.controller_api.conftest import SERVICE

READING = {"mac": "A4:C1:38:11:22:33", "time": "2026-01-12T04:59:00Z", "temperature_c": 19.43,
           "humidity_pct": 48.2, "battery_pct": 93, "voltage_v": 2.98, "rssi_dbm": -71, "format": "pvvx"}


def test_readings_are_idempotent_and_unknown_devices_are_listed(client, house, database_url):
    unknown = {"mac": "A4:C1:38:99:88:77", "time": "2026-01-12T04:59:00Z", "temperature_c": 21.0,
               "format": "bthome", "name": "ATC_998877", "rssi_dbm": -80}
    first = client.post("/api/readings", json={"readings": [READING, unknown]}, headers=SERVICE)
    assert first.json == {"stored": 1, "duplicates": 0, "unknown": 1}
    again = client.post("/api/readings", json={"readings": [READING]}, headers=SERVICE)
    assert again.json == {"stored": 0, "duplicates": 1, "unknown": 0}
    heard = client.get("/api/thermometers/heard").json["heard"]
    assert [(h["mac"], h["name"], h["format"]) for h in heard] == [("A4:C1:38:99:88:77", "ATC_998877", "bthome")]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*), min(room_id) FROM readings").fetchone() == (1, house["room"])
    # Once added, the device is no longer "heard but unknown".
    client.post("/api/thermometers", json={"mac": "A4:C1:38:99:88:77"}, headers=SERVICE)
    assert client.get("/api/thermometers/heard").json["heard"] == []


@pytest.mark.parametrize("reading, field", [
    ({**READING, "temperature_c": 120}, "readings.1.temperature_c"),
    ({**READING, "time": "2026-01-12T04:59:00"}, "readings.1.time"),
    ({**READING, "mac": "nope"}, "readings.1.mac"),
    ({**READING, "battery_pct": 101}, "readings.1.battery_pct"),
])
def test_bad_reading_rejects_the_batch(client, house, reading, field, database_url):
    response = client.post("/api/readings", json={"readings": [READING, reading]}, headers=SERVICE)
    assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM readings").fetchone() == (0,)


def test_batch_size_limit(client, house):
    batch = [{**READING, "time": f"2026-01-12T04:{i // 60:02d}:{i % 60:02d}Z"} for i in range(1001)]
    assert client.post("/api/readings", json={"readings": batch}, headers=SERVICE).status_code == 422


def test_meter_readings(client, database_url):
    body = {"gas": [{"time": "2026-01-12T05:00:00Z", "gas_m3": 4521.337, "meter_id": "4730303339303031"}],
            "electricity": [{"time": "2026-01-12T05:00:10Z", "delivered_t1_kwh": 1234.5, "delivered_t2_kwh": 2345.6,
                             "returned_t1_kwh": 0, "returned_t2_kwh": 0, "power_delivered_kw": 0.42,
                             "power_returned_kw": 0}]}
    assert client.post("/api/meter-readings", json=body, headers=SERVICE).json == {
        "gas": {"stored": 1, "duplicates": 0}, "electricity": {"stored": 1, "duplicates": 0}}
    assert client.post("/api/meter-readings", json=body, headers=SERVICE).json == {
        "gas": {"stored": 0, "duplicates": 1}, "electricity": {"stored": 0, "duplicates": 1}}
    bad = client.post("/api/meter-readings", json={"gas": [{"time": "2026-01-12T05:00:00Z", "gas_m3": -1}]},
                      headers=SERVICE)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "gas.0.gas_m3"


def test_boiler_state_and_decisions(client, house):
    boiler = client.post("/api/boiler/state", json={"time": "2026-01-12T05:00:00Z", "heat_demand": True,
                                                    "user_mode": "manual", "setpoint_c": 30,
                                                    "indicator": "central heating", "reason": "1 valve open"},
                         headers=SERVICE)
    assert boiler.status_code == 201
    assert client.get("/api/status").json["boiler"]["indicator"] == "central heating"
    assert client.post("/api/boiler/state", json={"time": "2026-01-12T05:00:00Z", "heat_demand": "yes please"},
                       headers=SERVICE).status_code == 422
    decisions = {"decisions": [
        {"time": "2026-01-12T05:00:00Z", "room_id": house["room"], "strategy": "zoning",
         "inputs": {"temperature_c": 19.1, "target_c": 20}, "outcome": "open", "reason": "19.1 < 20.0 − 0.3"},
        {"time": "2026-01-12T05:00:00Z", "room_id": None, "strategy": "zoning", "outcome": "boiler on",
         "reason": "1 valve open"}]}
    assert client.post("/api/decisions", json=decisions, headers=SERVICE).status_code == 201
    log = client.get(f"/api/decisions?room_id={house['room']}").json["decisions"]
    assert [(d["outcome"], d["inputs"]["target_c"]) for d in log] == [("open", 20)]
    assert len(client.get("/api/decisions?from=2026-01-12T00:00:00Z").json["decisions"]) == 2
    unknown_room = {"decisions": [{**decisions["decisions"][0], "room_id": 999}]}
    response = client.post("/api/decisions", json=unknown_room, headers=SERVICE)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "room_id"
    assert client.post("/api/decisions", json={"decisions": []}, headers=SERVICE).status_code == 422
