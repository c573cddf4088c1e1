from __future__ import annotations

import pytest

from tests.controller_api.conftest import SERVICE


def test_thermometer_crud_and_bind_key_privacy(client, house):
    created = client.post("/api/thermometers", json={"mac": "a4-c1-38-aa-bb-cc", "format": "mibeacon",
                                                     "bind_key": "E9EA895FAC7CCA6D30532432A516F3A8",
                                                     "name": "Bedroom"}, headers=SERVICE)
    assert created.status_code == 201
    thermometer = created.json
    assert thermometer["mac"] == "A4:C1:38:AA:BB:CC" and thermometer["room_id"] is None
    assert thermometer["bind_key"] == "e9ea895fac7cca6d30532432a516f3a8"
    anonymous = client.get(f"/api/thermometers/{thermometer['id']}").json
    assert "bind_key" not in anonymous and anonymous["has_bind_key"] is True
    assert client.get(f"/api/thermometers/{thermometer['id']}", headers=SERVICE).json["bind_key"] == \
        "e9ea895fac7cca6d30532432a516f3a8"
    moved = client.patch(f"/api/thermometers/{thermometer['id']}", json={"room_id": house["room"], "bind_key": None},
                         headers=SERVICE).json
    assert moved["room_id"] == house["room"] and moved["has_bind_key"] is False
    assert len(client.get("/api/thermometers").json["thermometers"]) == 2
    assert client.delete(f"/api/thermometers/{thermometer['id']}", headers=SERVICE).status_code == 204
    assert client.get(f"/api/thermometers/{thermometer['id']}").status_code == 404


@pytest.mark.parametrize("body, status, field", [
    ({"mac": "A4:C1:38:11:22"}, 422, "mac"),
    ({"mac": "A4:C1:38:11:22:ZZ"}, 422, "mac"),
    ({"mac": "A4:C1:38:00:00:01", "bind_key": "abc"}, 422, "bind_key"),
    ({"mac": "A4:C1:38:00:00:01", "format": "zigbee"}, 422, "format"),
    ({"mac": "A4:C1:38:00:00:01", "room_id": 999}, 422, "room_id"),
    ({"mac": "A4:C1:38:11:22:33"}, 409, "mac"),  # the house's own thermometer
])
def test_bad_thermometer(client, house, body, status, field):
    response = client.post("/api/thermometers", json=body, headers=SERVICE)
    assert response.status_code == status, response.json
    assert field in [e["field"] for e in response.json["errors"]]
    assert len(client.get("/api/thermometers").json["thermometers"]) == 1


def test_bridge_crud(client):
    bridge = client.post("/api/bridges", json={"name": "Attic ESP32", "base_url": "http://192.168.1.40/"},
                         headers=SERVICE).json
    assert bridge["kind"] == "esp32" and bridge["base_url"] == "http://192.168.1.40"
    assert client.patch(f"/api/bridges/{bridge['id']}", json={"base_url": "http://192.168.1.41"},
                        headers=SERVICE).json["base_url"] == "http://192.168.1.41"
    for bad in ({"name": "x", "base_url": "ftp://x"}, {"name": "x", "base_url": "http://"},
                {"name": "x", "base_url": "http://x", "kind": "zwave"}):
        assert client.post("/api/bridges", json=bad, headers=SERVICE).status_code == 422
    assert client.delete(f"/api/bridges/{bridge['id']}", headers=SERVICE).status_code == 204
    assert client.get("/api/bridges").json == {"bridges": []}


def test_bridge_in_use_cannot_be_deleted(client, house):
    response = client.delete(f"/api/bridges/{house['bridge']}", headers=SERVICE)
    assert response.status_code == 409
    assert client.get(f"/api/bridges/{house['bridge']}").status_code == 200


def test_valve_crud(client, house):
    valve = client.get(f"/api/valves/{house['valve']}").json
    assert valve["mac"] == "00:1A:22:0C:3B:5D" and valve["radiator_power_w"] == 1500
    assert client.patch(f"/api/valves/{house['valve']}", json={"name": "Under the window"},
                        headers=SERVICE).json["name"] == "Under the window"
    for body, field in (({"mac": "00:1A:22:0C:3B:5E", "room_id": 999, "bridge_id": house["bridge"]}, "room_id"),
                        ({"mac": "00:1A:22:0C:3B:5E", "room_id": house["room"], "bridge_id": 999}, "bridge_id"),
                        ({"mac": "00:1A:22:0C:3B:5E", "room_id": house["room"], "bridge_id": house["bridge"],
                          "radiator_power_w": 0}, "radiator_power_w"),
                        ({"mac": "00:1A:22:0C:3B:5E", "bridge_id": house["bridge"]}, "room_id")):
        response = client.post("/api/valves", json=body, headers=SERVICE)
        assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]]
    duplicate = client.post("/api/valves", json={"mac": "00:1a:22:0c:3b:5d", "room_id": house["room"],
                                                 "bridge_id": house["bridge"]}, headers=SERVICE)
    assert duplicate.status_code == 409
    assert len(client.get("/api/valves").json["valves"]) == 1


def test_valve_state_keeps_history_after_valve_removed(client, house, database_url):
    import psycopg

    response = client.post(f"/api/valves/{house['valve']}/state",
                           json={"time": "2026-01-12T05:00:00Z", "state": "open", "target_c": 30, "valve_pct": 80,
                                 "mode": "manual", "reason": "19.1 °C below 20.0 − 0.3"}, headers=SERVICE)
    assert response.status_code == 201 and response.json["state"] == "open"
    assert client.post("/api/valves/999/state", json={"time": "2026-01-12T05:00:00Z", "state": "open"},
                       headers=SERVICE).status_code == 404
    assert client.post(f"/api/valves/{house['valve']}/state", json={"time": "2026-01-12T05:00:00Z", "state": "ajar"},
                       headers=SERVICE).status_code == 422
    client.delete(f"/api/valves/{house['valve']}", headers=SERVICE)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT valve_id, room_id, radiator_power_w, state FROM valve_states").fetchall()
    assert rows == [(None, house["room"], 1500, "open")]
