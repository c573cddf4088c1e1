"""Provisioning the simulated house into the real controller API, twice."""
from __future__ import annotations

from common.api_client import ApiClient
from simulator.house import load_house
from simulator.provision import provision


def test_provision_creates_the_house_once(api_server):
    house = load_house()
    client = ApiClient(api_server.url, api_server.service_token)
    first = provision(client, house, bridge_ports={"pi": 18091, "esp32-attic": 18092})
    assert first.created and not first.skipped
    again = provision(client, house)
    assert not again.created
    rooms = client.get("/api/rooms")["rooms"]
    assert sorted(r["name"] for r in rooms) == sorted(r.name for r in house.rooms)
    living = next(r for r in rooms if r["name"] == "Living room")
    schedule = client.get(f"/api/rooms/{living['id']}/schedule")["switch_points"]
    assert len(schedule) == len(house.rooms[0].schedule)
    bridges = {b["name"]: b for b in client.get("/api/bridges")["bridges"]}
    assert bridges["esp32-attic"]["base_url"] == "http://127.0.0.1:18092"
    valves = client.get("/api/valves")["valves"]
    assert len(valves) == len(house.valves)
    thermometers = {t["mac"].upper(): t for t in client.get("/api/thermometers")["thermometers"]}
    kids = house.rooms[house.room_index("kids")].thermometer
    assert thermometers[kids.mac]["format"] == "mibeacon"
    assert thermometers[kids.mac]["bind_key"] == kids.bind_key
    status = client.get("/api/status")
    assert len(status["rooms"]) == len(house.rooms)
    client.close()
