"""Batches from the readers and records from the control loop."""
from __future__ import annotations

from flask import Blueprint

from controller_api.db import connection
from controller_api.http import endpoint, json_body, query_args
from controller_api.errors import ApiProblem
from controller_api.models import BoilerStateIn, DecisionsIn, DecisionsQuery, MeterReadingsIn, ReadingsIn, TargetsIn
from psycopg.types.json import Jsonb

bp = Blueprint("ingest", __name__, url_prefix="/api")


@endpoint(bp, "/readings", "POST", summary="Store thermometer readings (idempotent per MAC and time)",
          body=ReadingsIn)
def post_readings():
    batch = json_body(ReadingsIn).readings
    stored = duplicates = unknown = 0
    with connection() as conn:
        rooms = {row["mac"]: row["room_id"] for row in conn.execute(
            "SELECT upper(mac::text) AS mac, room_id FROM thermometers")}
        for reading in sorted(batch, key=lambda r: r.time):
            if reading.mac not in rooms:
                unknown += 1
                conn.execute(
                    """INSERT INTO heard_devices (mac, format, name, last_seen, temperature_c, humidity_pct,
                                                  battery_pct, rssi_dbm, encrypted)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                       ON CONFLICT (mac) DO UPDATE SET
                           format = EXCLUDED.format, name = COALESCE(EXCLUDED.name, heard_devices.name),
                           last_seen = EXCLUDED.last_seen, temperature_c = EXCLUDED.temperature_c,
                           humidity_pct = EXCLUDED.humidity_pct, battery_pct = EXCLUDED.battery_pct,
                           rssi_dbm = EXCLUDED.rssi_dbm, encrypted = EXCLUDED.encrypted
                       WHERE heard_devices.last_seen <= EXCLUDED.last_seen""",
                    (reading.mac, reading.format, reading.name, reading.time, reading.temperature_c,
                     reading.humidity_pct, reading.battery_pct, reading.rssi_dbm, reading.encrypted))
                continue
            inserted = conn.execute(
                """INSERT INTO readings (mac, time, room_id, temperature_c, humidity_pct, battery_pct,
                                         voltage_v, rssi_dbm)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (mac, time) DO NOTHING RETURNING 1""",
                (reading.mac, reading.time, rooms[reading.mac], reading.temperature_c, reading.humidity_pct,
                 reading.battery_pct, reading.voltage_v, reading.rssi_dbm)).fetchone()
            if inserted:
                stored += 1
            else:
                duplicates += 1
    return {"stored": stored, "duplicates": duplicates, "unknown": unknown}


@endpoint(bp, "/meter-readings", "POST", summary="Store gas and electricity meter readings (idempotent)",
          body=MeterReadingsIn)
def post_meter_readings():
    batch = json_body(MeterReadingsIn)
    result = {"gas": {"stored": 0, "duplicates": 0}, "electricity": {"stored": 0, "duplicates": 0}}
    with connection() as conn:
        for gas in batch.gas:
            row = conn.execute(
                """INSERT INTO gas_readings (time, gas_m3, meter_id) VALUES (%s, %s, %s)
                   ON CONFLICT (time) DO NOTHING RETURNING 1""", (gas.time, gas.gas_m3, gas.meter_id)).fetchone()
            result["gas"]["stored" if row else "duplicates"] += 1
        for power in batch.electricity:
            row = conn.execute(
                """INSERT INTO electricity_readings (time, delivered_t1_kwh, delivered_t2_kwh, returned_t1_kwh,
                                                   returned_t2_kwh, power_delivered_kw, power_returned_kw)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (time) DO NOTHING RETURNING 1""",
                (power.time, power.delivered_t1_kwh, power.delivered_t2_kwh, power.returned_t1_kwh,
                 power.returned_t2_kwh, power.power_delivered_kw, power.power_returned_kw)).fetchone()
            result["electricity"]["stored" if row else "duplicates"] += 1
    return result


@endpoint(bp, "/boiler/state", "POST", summary="Record a state the boiler confirmed (control loop)",
          body=BoilerStateIn, status=201)
def post_boiler_state():
    data = json_body(BoilerStateIn)
    with connection() as conn:
        row = conn.execute(
            """INSERT INTO boiler_states (time, heat_demand, user_mode, setpoint_c, indicator, reason)
               VALUES (%s, %s, %s, %s, %s, %s)
               RETURNING id, time, heat_demand, user_mode, setpoint_c, indicator, reason""",
            (data.time, data.heat_demand, data.user_mode, data.setpoint_c, data.indicator, data.reason)).fetchone()
    return row, 201


@endpoint(bp, "/targets", "POST", summary="Record the targets the loop used, with their source (control loop)",
          body=TargetsIn, status=201, responses={422: "a room that does not exist"})
def post_targets():
    batch = json_body(TargetsIn).targets
    with connection() as conn:
        known = {row["id"] for row in conn.execute("SELECT id FROM rooms WHERE id = ANY(%s)",
                                                   ([t.room_id for t in batch],))}
        missing = sorted({t.room_id for t in batch} - known)
        if missing:
            raise ApiProblem(422, f"targets: no room with id {missing[0]}",
                             [{"field": "targets.room_id", "message": f"no room with id {missing[0]}"}])
        with conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO target_history (room_id, time, target_c, source, reason) VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (room_id, time) DO UPDATE SET target_c = EXCLUDED.target_c,
                       source = EXCLUDED.source, reason = EXCLUDED.reason""",
                [(t.room_id, t.time, t.target_c, t.source, t.reason) for t in batch])
    return {"stored": len(batch)}, 201


@endpoint(bp, "/decisions", "POST", summary="Record control decisions with their reasons (control loop)",
          body=DecisionsIn, status=201)
def post_decisions():
    batch = json_body(DecisionsIn).decisions
    with connection() as conn:
        with conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO decisions (time, room_id, strategy, inputs, outcome, reason)
                   VALUES (%s, %s, %s, %s, %s, %s)""",
                [(d.time, d.room_id, d.strategy, Jsonb(d.inputs), d.outcome, d.reason) for d in batch])
    return {"stored": len(batch)}, 201


@endpoint(bp, "/decisions", "GET", summary="The decision log, newest first", query=DecisionsQuery)
def get_decisions():
    query = query_args(DecisionsQuery)
    conditions, params = [], []
    if query.from_:
        conditions.append("time >= %s")
        params.append(query.from_)
    if query.to:
        conditions.append("time < %s")
        params.append(query.to)
    if query.room_id is not None:
        conditions.append("room_id = %s")
        params.append(query.room_id)
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    with connection() as conn:
        rows = conn.execute(
            f"SELECT id, time, room_id, strategy, inputs, outcome, reason FROM decisions {where} "
            "ORDER BY time DESC, id DESC LIMIT %s", (*params, query.limit)).fetchall()
    return {"decisions": rows}
