"""Create the simulated house in the controller API: rooms, schedules, thermometers, bridges, valves.

Idempotent, and brought up to date: what already exists (rooms and bridges by
name, thermometers and valves by MAC) is kept, and only what the simulated
hardware dictates is put right where it differs: a bridge's ``base_url`` and
kind (``make demo`` gives the simulated bridges new free ports on every run),
a thermometer's format and bind key, a valve's bridge and radiator power.
What people choose on the page (room settings, schedules, names, which room
a device is in) is left as they set it. So ``make demo`` and the end-to-end
tests can run it every time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from common.api_client import ApiClient
from simulator.house import House

log = logging.getLogger("simulator.provision")


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    #: Existing entries changed to match the house, each with what changed ("old → new").
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _differences(existing: dict, wanted: dict) -> dict:
    """The fields of ``wanted`` whose value differs from ``existing``'s."""
    return {key: value for key, value in wanted.items() if existing.get(key) != value}


def _describe(existing: dict, changes: dict) -> str:
    # A bind key decrypts a thermometer's broadcasts: the report (printed, logged) only says it changed.
    return ", ".join(f"{key} changed" if key == "bind_key" else f"{key} {existing.get(key)!r} → {value!r}"
                     for key, value in changes.items())


def bridge_url(house: House, name: str, host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> str:
    """The base URL the simulated bridge ``name`` serves on."""
    port = (ports or {}).get(name, house.bridges[name].port)
    return f"http://{host}:{port}"


def provision(client: ApiClient, house: House, *, bridge_host: str = "127.0.0.1",
              bridge_ports: dict[str, int] | None = None, pi_bridges: frozenset[str] = frozenset(),
              bridge_token: str | None = None) -> ProvisionReport:
    """Create what the API lacks of ``house`` and update what differs (see the module docstring);
    raises the API client's errors (nothing half-hidden).

    ``pi_bridges``: bridges served by the product's own Pi bridge (thermostat_reader over the
    simulated BlueZ) rather than by the simulator: their kind is ``pi``, so that bridge serves
    their valves."""
    report = ProvisionReport()
    rooms = {r["name"].lower(): r for r in client.get("/api/rooms")["rooms"]}
    room_ids: dict[str, int] = {}
    for order, room in enumerate(house.rooms):
        existing = rooms.get(room.name.lower())
        if existing:
            room_ids[room.key] = existing["id"]
            report.skipped.append(f"room {room.name}")
            continue
        created = client.post("/api/rooms", {"name": room.name, "sort_order": order,
                                             "default_temp_c": room.default_temp_c})
        room_ids[room.key] = created["id"]
        points = [{"weekday": p.weekday, "time": p.time, "temperature_c": p.value} for p in room.schedule]
        client.put(f"/api/rooms/{created['id']}/schedule", {"switch_points": points})
        report.created.append(f"room {room.name} with {len(points)} switch points")

    thermometers = {t["mac"].upper(): t for t in client.get("/api/thermometers")["thermometers"]}
    for room in house.rooms:
        t = room.thermometer
        existing = thermometers.get(t.mac)
        if existing:
            # A house without a key says nothing about one: a key entered on the page stays.
            wanted = {"format": t.format, **({"bind_key": t.bind_key} if t.bind_key else {})}
            _update(client, report, f"/api/thermometers/{existing['id']}", f"thermometer {t.mac}", existing, wanted)
            continue
        body = {"mac": t.mac, "room_id": room_ids[room.key], "format": t.format, "name": t.name or None}
        if t.bind_key:
            body["bind_key"] = t.bind_key
        client.post("/api/thermometers", body)
        report.created.append(f"thermometer {t.mac} ({t.format}) in {room.name}")

    bridges = {b["name"].lower(): b for b in client.get("/api/bridges")["bridges"]}
    bridge_ids: dict[str, int] = {}
    for name in house.bridges:
        existing = bridges.get(name.lower())
        kind = "pi" if name in pi_bridges else "simulated"
        if existing:
            bridge_ids[name] = existing["id"]
            _update(client, report, f"/api/bridges/{existing['id']}", f"bridge {name}", existing,
                    {"kind": kind, "base_url": bridge_url(house, name, bridge_host, bridge_ports)})
            if bridge_token:
                # Write-only in the API, so it is set every time rather than compared.
                client.request("PATCH", f"/api/bridges/{existing['id']}", json={"token": bridge_token})
            continue
        created = client.post("/api/bridges", {"name": name, "kind": kind,
                                               "base_url": bridge_url(house, name, bridge_host, bridge_ports),
                                               **({"token": bridge_token} if bridge_token else {})})
        bridge_ids[name] = created["id"]
        report.created.append(f"bridge {name} at {created['base_url']}")

    valves = {v["mac"].upper(): v for v in client.get("/api/valves")["valves"]}
    for room in house.rooms:
        for valve in room.valves:
            existing = valves.get(valve.mac)
            if existing:
                _update(client, report, f"/api/valves/{existing['id']}", f"valve {valve.mac}", existing,
                        {"bridge_id": bridge_ids[valve.bridge], "radiator_power_w": int(valve.power_w)})
                continue
            client.post("/api/valves", {"mac": valve.mac, "room_id": room_ids[room.key],
                                        "bridge_id": bridge_ids[valve.bridge], "name": valve.name,
                                        "radiator_power_w": int(valve.power_w)})
            report.created.append(f"valve {valve.mac} ({valve.name}, {int(valve.power_w)} W) in {room.name}")
    for line in report.created:
        log.info("provisioned %s", line)
    for line in report.updated:
        log.info("updated %s", line)
    return report


def _update(client: ApiClient, report: ProvisionReport, path: str, what: str, existing: dict,
            wanted: dict) -> None:
    changes = _differences(existing, wanted)
    if not changes:
        report.skipped.append(what)
        return
    client.request("PATCH", path, json=changes)
    report.updated.append(f"{what}: {_describe(existing, changes)}")
