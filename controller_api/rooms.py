"""Rooms, their weekly schedules, overrides, boost and history."""
from __future__ import annotations

import math
from datetime import timedelta

from flask import Blueprint

from common.schedule import MINUTES_PER_DAY
from controller_api import domain
from controller_api.crud import ROOMS
from controller_api.db import connection
from controller_api.errors import ApiProblem, not_found
from controller_api.http import endpoint, json_body, query_args
from controller_api.models import BoostIn, OverrideIn, RangeQuery, RoomCreate, RoomPatch, ScheduleIn
from controller_api.schedule import house_valve_program, schedule_at, target_changes

bp = Blueprint("rooms", __name__, url_prefix="/api/rooms")

BOOST_TEMP_C = 30.0


def _lock_room(conn, room_id: int) -> dict:
    # Serialises concurrent writers to one room's schedule and override.
    row = conn.execute("SELECT id, name FROM rooms WHERE id = %s FOR UPDATE", (room_id,)).fetchone()
    if row is None:
        raise not_found("room", room_id)
    return row


@endpoint(bp, "", "GET", summary="List rooms")
def list_rooms():
    return {"rooms": ROOMS.list()}


@endpoint(bp, "", "POST", summary="Create a room", body=RoomCreate, status=201)
def create_room():
    return ROOMS.create(json_body(RoomCreate)), 201


@endpoint(bp, "/<int:room_id>", "GET", summary="One room")
def get_room(room_id: int):
    return ROOMS.get(room_id)


@endpoint(bp, "/<int:room_id>", "PATCH", summary="Change a room", body=RoomPatch)
def patch_room(room_id: int):
    return ROOMS.update(room_id, json_body(RoomPatch))


@endpoint(bp, "/<int:room_id>", "DELETE", summary="Delete a room (refused while it has valves)", status=204)
def delete_room(room_id: int):
    with connection() as conn:
        valves = conn.execute("SELECT count(*) AS n FROM valves WHERE room_id = %s", (room_id,)).fetchone()["n"]
    if valves:
        raise ApiProblem(409, f"room {room_id} still has {valves} valve(s); move or delete them first")
    ROOMS.delete(room_id)
    return "", 204


def _schedule_json(points) -> dict:
    return {"switch_points": [
        {"weekday": p.weekday, "time": p.at_time.strftime("%H:%M"), "temperature_c": p.temperature_c}
        for p in sorted(points)
    ]}


@endpoint(bp, "/<int:room_id>/schedule", "GET", summary="The room's weekly switch points")
def get_schedule(room_id: int):
    with connection() as conn:
        ROOMS.get(room_id, conn)
        return _schedule_json(domain.switch_points(conn, room_id).get(room_id, []))


@endpoint(bp, "/<int:room_id>/schedule", "PUT", summary="Replace the whole week's switch points",
          body=ScheduleIn)
def put_schedule(room_id: int):
    schedule = json_body(ScheduleIn)
    with connection() as conn:
        _lock_room(conn, room_id)
        conn.execute("DELETE FROM switch_points WHERE room_id = %s", (room_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO switch_points (room_id, weekday, at_time, temperature_c) VALUES (%s, %s, %s, %s)",
                [(room_id, p.weekday, p.time, p.temperature_c) for p in schedule.switch_points],
            )
        return _schedule_json(domain.switch_points(conn, room_id).get(room_id, []))


def _until(minute: int) -> str:
    return "24:00" if minute == MINUTES_PER_DAY else f"{minute // 60:02d}:{minute % 60:02d}"


@endpoint(bp, "/<int:room_id>/valve-program", "GET",
          summary="The schedule as the valves' week program (7 points a day, 10-minute steps)")
def get_valve_program(room_id: int):
    with connection() as conn:
        room = ROOMS.get(room_id, conn)
        program = house_valve_program(domain.switch_points(conn, room_id).get(room_id, []), room["default_temp_c"],
                                      room["frost_temp_c"], domain.house_mode(conn), domain.now())
    return {"room_id": room_id, "version": program.version, "exact": program.exact, "message": program.message,
            "days": {day: [{"until": _until(p.until_minute), "temperature_c": p.temp_c} for p in points]
                     for day, points in program.days.items()}}


def _override_json(row) -> dict | None:
    if row is None:
        return None
    return {"kind": row.kind, "temperature_c": row.temperature_c, "starts_at": row.starts_at,
            "ends_at": row.ends_at}


@endpoint(bp, "/<int:room_id>/override", "GET", summary="The room's active override, if any")
def get_override(room_id: int):
    now = domain.now()
    with connection() as conn:
        ROOMS.get(room_id, conn)
        found = domain.overrides(conn, room_id).get(room_id)
    return {"override": _override_json(found) if found and found.active_at(now) else None}


@endpoint(bp, "/<int:room_id>/override", "PUT",
          summary="Set a target until a time, the next switch point, or until it is ended", body=OverrideIn)
def put_override(room_id: int):
    data = json_body(OverrideIn)
    now = domain.now()
    with connection() as conn:
        _lock_room(conn, room_id)
        if data.until == "next_switch":
            points = domain.switch_points(conn, room_id).get(room_id, [])
            _, upcoming = schedule_at(points, now, domain.home_zone())
            if upcoming is None:
                raise ApiProblem(422, "until: this room has no switch points; give a time",
                                 [{"field": "until", "message": "the room has no switch points"}])
            ends_at, next_switch = upcoming.instant, True
        elif data.until == "cancelled":
            ends_at, next_switch = None, False
        else:
            ends_at, next_switch = data.until, False
            if ends_at <= now:
                raise ApiProblem(422, "until: must be in the future", [{"field": "until", "message": "in the past"}])
        _store_override(conn, room_id, "manual", data.temperature_c, now, ends_at, next_switch)
        return {"override": _override_json(domain.overrides(conn, room_id)[room_id])}


@endpoint(bp, "/<int:room_id>/override", "DELETE", summary="End the override now", status=204)
def delete_override(room_id: int):
    with connection() as conn:
        _lock_room(conn, room_id)
        conn.execute("DELETE FROM overrides WHERE room_id = %s", (room_id,))
    return "", 204


@endpoint(bp, "/<int:room_id>/boost", "POST", summary="Heat the room at full power for some minutes",
          body=BoostIn)
def boost(room_id: int):
    data = json_body(BoostIn)
    now = domain.now()
    with connection() as conn:
        _lock_room(conn, room_id)
        _store_override(conn, room_id, "boost", BOOST_TEMP_C, now, now + timedelta(minutes=data.minutes), False)
        return {"override": _override_json(domain.overrides(conn, room_id)[room_id])}


def _store_override(conn, room_id, kind, temperature_c, starts_at, ends_at, next_switch) -> None:
    conn.execute(
        """INSERT INTO overrides (room_id, kind, temperature_c, starts_at, ends_at, until_next_switch)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (room_id) DO UPDATE SET kind = EXCLUDED.kind, temperature_c = EXCLUDED.temperature_c,
               starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
               until_next_switch = EXCLUDED.until_next_switch""",
        (room_id, kind, temperature_c, starts_at, ends_at, next_switch),
    )


# At most this many points per series: a week of minute readings would be
# 10,080 points, more than a phone should draw.
MAX_POINTS = 720
#: Longest history one request reads: the page shows a day or a week, and a
#: longer range (Grafana's job) would hold a worker the control loop needs.
MAX_HISTORY = timedelta(days=31)


def _targets(recorded: list[dict], planned: list[tuple], start, end, now) -> list[dict]:
    """The target as a step function on [start, end): as the loop recorded it up to now, as the
    schedule plans it before the first record and after now (``recorded`` says which)."""
    def plan(a, b):
        if a >= b:
            return []
        steps = [(t, c, s) for t, c, s in planned if a <= t < b]
        before = [(t, c, s) for t, c, s in planned if t < a]
        if before and (not steps or steps[0][0] > a):
            steps.insert(0, (a, before[-1][1], before[-1][2]))
        return [{"time": t, "target_c": c, "source": s, "recorded": False} for t, c, s in steps]

    if not recorded or recorded[0]["time"] >= min(end, now):
        return plan(start, end)
    covered_from = max(start, recorded[0]["time"])
    covered_to = min(end, now)
    steps = plan(start, covered_from)
    steps += [{"time": max(row["time"], start), "target_c": row["target_c"], "source": row["source"],
               "reason": row["reason"], "recorded": True} for row in recorded if row["time"] < covered_to]
    return steps + plan(covered_to, end)


@endpoint(bp, "/<int:room_id>/history", "GET",
          summary="Readings, targets and valve states over a range (default: the last 24 h)", query=RangeQuery)
def history(room_id: int):
    query = query_args(RangeQuery)
    end = query.to or domain.now()
    start = query.from_ or end - timedelta(days=1)
    if end <= start:
        raise ApiProblem(422, "from: must be before to", [{"field": "from", "message": "must be before to"}])
    if end - start > MAX_HISTORY:
        message = f"at most {MAX_HISTORY.days} days between from and to"
        raise ApiProblem(422, f"to: {message}", [{"field": "to", "message": message}])
    span_s = (end - start).total_seconds()
    step_s = max(60, math.ceil(span_s / MAX_POINTS / 60) * 60)
    with connection() as conn:
        room = ROOMS.get(room_id, conn)
        if span_s / 60 <= MAX_POINTS:
            readings = conn.execute(
                """SELECT time, temperature_c + %s AS temperature_c, humidity_pct
                   FROM readings WHERE room_id = %s AND time >= %s AND time < %s ORDER BY time""",
                (room["offset_k"], room_id, start, end)).fetchall()
            step_s = 0
        else:
            readings = conn.execute(
                """SELECT date_bin(make_interval(secs => %s), time, %s) AS time,
                          avg(temperature_c) + %s AS temperature_c, avg(humidity_pct) AS humidity_pct
                   FROM readings WHERE room_id = %s AND time >= %s AND time < %s
                   GROUP BY 1 ORDER BY 1""",
                (step_s, start, room["offset_k"], room_id, start, end)).fetchall()
        valve_states = conn.execute(
            """SELECT s.time, s.valve_id, upper(s.mac::text) AS mac, s.state, s.target_c, s.valve_pct
               FROM valve_states s
               WHERE s.room_id = %s AND s.time >= %s AND s.time < %s
               UNION ALL
               SELECT * FROM (
                   SELECT DISTINCT ON (s.mac) %s::timestamptz, s.valve_id, upper(s.mac::text), s.state,
                          s.target_c, s.valve_pct
                   FROM valve_states s WHERE s.room_id = %s AND s.time < %s
                   ORDER BY s.mac, s.time DESC) AS before_start
               ORDER BY 1""",
            (room_id, start, end, start, room_id, start)).fetchall()
        planned = target_changes(
            start=start, end=end, zone=domain.home_zone(),
            points=domain.switch_points(conn, room_id).get(room_id, []),
            default_c=room["default_temp_c"], frost_c=room["frost_temp_c"],
            override=domain.overrides(conn, room_id).get(room_id), house=domain.house_mode(conn))
        recorded = conn.execute(
            """SELECT time, target_c, source, reason FROM target_history
               WHERE room_id = %s AND time >= %s AND time < %s
               UNION ALL
               SELECT * FROM (SELECT time, target_c, source, reason FROM target_history
                              WHERE room_id = %s AND time < %s ORDER BY time DESC LIMIT 1) AS before_start
               ORDER BY 1""", (room_id, start, end, room_id, start)).fetchall()
    return {
        "room_id": room_id, "from": start, "to": end, "resolution_s": step_s,
        "readings": readings,
        "targets": _targets(recorded, planned, start, end, domain.now()),
        "valve_states": valve_states,
    }
