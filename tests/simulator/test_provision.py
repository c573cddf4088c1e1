"""Provisioning the simulated house into the real controller API, twice."""
from __future__ import annotations

from common.api_client import ApiClient
from simulator.house import load_house
from simulator.provision import provision


def test_provision_creates_the_house_once(api_server):
    house = load_house()
    client = ApiClient(api_server.url, api_server.service_token)
    ports = {"pi": 18091, "esp32-attic": 18092}
    first = provision(client, house, bridge_ports=ports)
    assert first.created and not first.skipped and not first.updated
    again = provision(client, house, bridge_ports=ports)
    assert not again.created and not again.updated
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


def test_a_second_run_on_new_ports_moves_the_bridges_and_keeps_what_people_chose(api_server):
    # make demo gives the simulated bridges new free ports every run; the stored addresses must follow,
    # or every valve is unreachable from the second run on.
    house = load_house()
    client = ApiClient(api_server.url, api_server.service_token)
    provision(client, house, bridge_ports={"pi": 18091, "esp32-attic": 18092})
    living = next(r for r in client.get("/api/rooms")["rooms"] if r["name"] == "Living room")
    client.request("PATCH", f"/api/rooms/{living['id']}", json={"default_temp_c": 19.5})
    attic_valve = next(v for _, v in house.valves if v.bridge == "esp32-attic")
    stored_valve = next(v for v in client.get("/api/valves")["valves"] if v["mac"] == attic_valve.mac)
    client.request("PATCH", f"/api/valves/{stored_valve['id']}", json={"radiator_power_w": 555})
    before = {b["name"]: b["id"] for b in client.get("/api/bridges")["bridges"]}

    second = provision(client, house, bridge_ports={"pi": 28091, "esp32-attic": 28092})

    bridges = {b["name"]: b for b in client.get("/api/bridges")["bridges"]}
    assert {n: b["base_url"] for n, b in bridges.items()} == {"pi": "http://127.0.0.1:28091",
                                                             "esp32-attic": "http://127.0.0.1:28092"}
    assert {n: b["id"] for n, b in bridges.items()} == before  # updated in place, valves still point at them
    assert not second.created
    assert sorted(second.updated) == sorted([
        "bridge pi: base_url 'http://127.0.0.1:18091' → 'http://127.0.0.1:28091'",
        "bridge esp32-attic: base_url 'http://127.0.0.1:18092' → 'http://127.0.0.1:28092'",
        f"valve {attic_valve.mac}: radiator_power_w 555 → {int(attic_valve.power_w)}"])
    valve = client.get(f"/api/valves/{stored_valve['id']}")
    assert valve["radiator_power_w"] == int(attic_valve.power_w)
    assert valve["bridge_id"] == bridges["esp32-attic"]["id"]
    # A room's settings are the household's, not the house file's.
    assert client.get(f"/api/rooms/{living['id']}")["default_temp_c"] == 19.5
    client.close()


def test_the_provision_command_waits_for_an_api_that_is_still_starting(database_url):
    # make demo provisions as soon as one API worker answers; on a loaded machine the next request
    # may meet a worker still starting. Provisioning is idempotent, so the command asks again.
    import os
    import subprocess
    import sys
    import threading
    import time

    from werkzeug.serving import make_server

    from controller_api import create_app
    from db.local_cluster import free_port
    from tests.conftest import PASSWORD, SERVICE_TOKEN

    port = free_port()
    command = subprocess.Popen(
        [sys.executable, "-m", "simulator", "provision", "--api", f"http://127.0.0.1:{port}",
         "--token", SERVICE_TOKEN, "--bridge-port", "pi=18091", "--bridge-port", "esp32-attic=18092",
         "--wait", "60"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "HEATING_BRIDGE_TOKEN": "test-bridge-token-0123456789"})
    time.sleep(3.0)  # nothing listens yet: connection refused, again and again
    app = create_app({"settings": {"database_url": database_url, "service_token": SERVICE_TOKEN,
                                   "password": PASSWORD}})
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out, _ = command.communicate(timeout=60)
        text = out.decode()
        assert command.returncode == 0, text
        assert "trying again" in text
        assert "created 26" in text
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["db_pool"].close()


def test_the_provision_command_gives_up_on_an_api_that_never_answers():
    import os
    import subprocess
    import sys

    from db.local_cluster import free_port

    done = subprocess.run([sys.executable, "-m", "simulator", "provision", "--api",
                           f"http://127.0.0.1:{free_port()}", "--token", "x", "--wait", "0"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HEATING_BRIDGE_TOKEN": "test-bridge-token-0123456789"})
    assert done.returncode == 2
    assert "the controller API failed" in done.stderr
