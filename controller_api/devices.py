"""Thermometers, valve bridges and radiator valves, and the valves' confirmed states."""
from __future__ import annotations

from flask import Blueprint

from controller_api.auth import authenticated
from controller_api.crud import BRIDGES, THERMOMETERS, VALVES
from controller_api.db import connection
from controller_api.errors import not_found
from controller_api.http import endpoint, json_body
from controller_api.models import (BridgeCreate, BridgePatch, ThermometerCreate, ThermometerPatch,
                                   ValveCreate, ValvePatch, ValveStateIn)

bp = Blueprint("devices", __name__, url_prefix="/api")


def _thermometer_json(row: dict) -> dict:
    # A bind key decrypts the thermometer's broadcasts: only for callers with credentials.
    out = dict(row)
    out["has_bind_key"] = row["bind_key"] is not None
    if not authenticated():
        out.pop("bind_key")
    return out


@endpoint(bp, "/thermometers", "GET", summary="List thermometers (bind keys only with credentials)")
def list_thermometers():
    return {"thermometers": [_thermometer_json(r) for r in THERMOMETERS.list()]}


@endpoint(bp, "/thermometers/heard", "GET", summary="Thermometers heard but not configured")
def heard_thermometers():
    with connection() as conn:
        rows = conn.execute(
            """SELECT upper(h.mac::text) AS mac, h.format, h.name, h.last_seen, h.temperature_c,
                      h.humidity_pct, h.battery_pct, h.rssi_dbm, h.encrypted
               FROM heard_devices h
               WHERE NOT EXISTS (SELECT 1 FROM thermometers t WHERE t.mac = h.mac)
               ORDER BY h.last_seen DESC""").fetchall()
    return {"heard": rows}


@endpoint(bp, "/thermometers", "POST", summary="Add a thermometer", body=ThermometerCreate, status=201)
def create_thermometer():
    return _thermometer_json(THERMOMETERS.create(json_body(ThermometerCreate))), 201


@endpoint(bp, "/thermometers/<int:thermometer_id>", "GET", summary="One thermometer")
def get_thermometer(thermometer_id: int):
    return _thermometer_json(THERMOMETERS.get(thermometer_id))


@endpoint(bp, "/thermometers/<int:thermometer_id>", "PATCH", summary="Change a thermometer",
          body=ThermometerPatch)
def patch_thermometer(thermometer_id: int):
    return _thermometer_json(THERMOMETERS.update(thermometer_id, json_body(ThermometerPatch)))


@endpoint(bp, "/thermometers/<int:thermometer_id>", "DELETE",
          summary="Remove a thermometer (its readings are kept)", status=204)
def delete_thermometer(thermometer_id: int):
    THERMOMETERS.delete(thermometer_id)
    return "", 204


def bridge_json(row: dict) -> dict:
    # Where a bridge listens is only for those signed in: it takes commands (with its token).
    out = dict(row)
    if not authenticated():
        out.pop("base_url", None)
    return out


@endpoint(bp, "/bridges", "GET", summary="List valve bridges (addresses only with credentials)")
def list_bridges():
    return {"bridges": [bridge_json(r) for r in BRIDGES.list()]}


@endpoint(bp, "/bridges", "POST", summary="Add a valve bridge", body=BridgeCreate, status=201)
def create_bridge():
    return BRIDGES.create(json_body(BridgeCreate)), 201


@endpoint(bp, "/bridges/<int:bridge_id>", "GET", summary="One valve bridge (its address only with credentials)")
def get_bridge(bridge_id: int):
    return bridge_json(BRIDGES.get(bridge_id))


@endpoint(bp, "/bridges/<int:bridge_id>", "PATCH", summary="Change a valve bridge", body=BridgePatch)
def patch_bridge(bridge_id: int):
    return BRIDGES.update(bridge_id, json_body(BridgePatch))


@endpoint(bp, "/bridges/<int:bridge_id>", "DELETE", summary="Remove a bridge (refused while valves use it)",
          status=204)
def delete_bridge(bridge_id: int):
    BRIDGES.delete(bridge_id)
    return "", 204


@endpoint(bp, "/valves", "GET", summary="List radiator valves")
def list_valves():
    return {"valves": VALVES.list()}


@endpoint(bp, "/valves", "POST", summary="Add a radiator valve", body=ValveCreate, status=201)
def create_valve():
    return VALVES.create(json_body(ValveCreate)), 201


@endpoint(bp, "/valves/<int:valve_id>", "GET", summary="One radiator valve")
def get_valve(valve_id: int):
    return VALVES.get(valve_id)


@endpoint(bp, "/valves/<int:valve_id>", "PATCH", summary="Change a radiator valve", body=ValvePatch)
def patch_valve(valve_id: int):
    return VALVES.update(valve_id, json_body(ValvePatch))


@endpoint(bp, "/valves/<int:valve_id>", "DELETE", summary="Remove a radiator valve (its history is kept)",
          status=204)
def delete_valve(valve_id: int):
    VALVES.delete(valve_id)
    return "", 204


@endpoint(bp, "/valves/<int:valve_id>/state", "POST",
          summary="Record a state the valve confirmed (control loop)", body=ValveStateIn, status=201)
def record_valve_state(valve_id: int):
    data = json_body(ValveStateIn)
    with connection() as conn:
        valve = conn.execute("SELECT id, mac, room_id, radiator_power_w FROM valves WHERE id = %s",
                             (valve_id,)).fetchone()
        if valve is None:
            raise not_found("valve", valve_id)
        row = conn.execute(
            """INSERT INTO valve_states (valve_id, mac, room_id, radiator_power_w, time, state, target_c,
                                         valve_pct, mode, until, reason, low_battery)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               RETURNING id, valve_id, time, state, target_c, valve_pct, mode, until, reason, low_battery""",
            (valve_id, valve["mac"], valve["room_id"], valve["radiator_power_w"], data.time, data.state,
             data.target_c, data.valve_pct, data.mode, data.until, data.reason, data.low_battery)).fetchone()
    return row, 201


