"""GET /api/status: every room's state and target, the house mode and the boiler."""
from __future__ import annotations

from flask import Blueprint, has_request_context

from controller_api import domain, health, inputs, lease
from controller_api.auth import authenticated, has_service_token
from controller_api.db import connection
from controller_api.http import endpoint, query_args
from controller_api.models import AtQuery
from controller_api.problems import evaluate_now
from controller_api.schedule import Occurrence, house_valve_program, resolve_target
from controller_api.weather import weather_json
from controller_api.house import mode_json

bp = Blueprint("status", __name__, url_prefix="/api")


def _occurrence_json(occurrence: Occurrence | None) -> dict | None:
    if occurrence is None:
        return None
    point = occurrence.point
    return {"weekday": point.weekday, "time": point.at_time.strftime("%H:%M"),
            "temperature_c": point.temperature_c, "at": occurrence.instant}


def _device_problems(open_problems: list[dict]) -> dict[tuple, dict]:
    """The most pressing open problem of each subject (errors first, then the oldest), as a device shows it."""
    shown: dict[tuple, dict] = {}
    for row in open_problems:  # already errors first, oldest first
        shown.setdefault((row["subject_kind"], row["subject_id"]),
                         {"code": row["code"], "since": row["opened_at"], "message": row["message"]})
    return shown


def _latest(*instants):
    known = [i for i in instants if i is not None]
    return max(known) if known else None


def _bridge_json(row: dict) -> dict:
    # The address only for those signed in, the token only for the control loop (the service token).
    out = {"id": row["bridge_id"], "name": row["bridge_name"], "kind": row["bridge_kind"]}
    if has_request_context() and authenticated():
        out["base_url"] = row["base_url"]
    if has_request_context() and has_service_token():
        out["token"] = row["bridge_token"]
    return out


def house_status(conn, at) -> dict:
    """The status document; ``at`` is the instant targets are evaluated at.

    Problems are as they stand now (``evaluate_now`` brings them up to date),
    whatever ``at`` asks about.
    """
    zone = domain.home_zone()
    settings = domain.household_settings(conn)
    stale_after_s = health.custom_stale_s(settings)
    open_problems = health.open_problems(conn)
    device_problem = _device_problems(open_problems)
    # Each thermometer's limit fits its firmware; a room's reading is judged by the limit of the
    # thermometer that sent it, so a stock-firmware room is not flipped between modes.
    thermometer_health = {t["id"]: t for t in health.thermometers(conn, at, settings)}
    limit_of_mac = {t["mac"]: t["stale_after_s"] for t in thermometer_health.values()}
    answered = {(row["kind"], row["device_id"]): row["answered_at"] for row in conn.execute(
        "SELECT kind, device_id, answered_at FROM device_checks WHERE answered_at <= %s", (at,))}
    house = domain.house_mode(conn)
    points = domain.switch_points(conn)
    overrides = domain.overrides(conn)
    rooms = conn.execute(
        """SELECT r.id, r.name, r.sort_order, r.default_temp_c, r.frost_temp_c, r.hysteresis_k, r.offset_k,
                  r.smart_heat, r.control,
                  latest.time AS reading_time, latest.temperature_c AS measured_temperature_c,
                  latest.humidity_pct, latest.battery_pct, upper(latest.mac::text) AS reading_mac
           FROM rooms r
           LEFT JOIN LATERAL (
               SELECT time, temperature_c, humidity_pct, battery_pct, mac FROM readings
               WHERE room_id = r.id AND time <= %s AND temperature_c IS NOT NULL
               ORDER BY time DESC LIMIT 1) AS latest ON true
           ORDER BY r.sort_order, r.name, r.id""", (at,)).fetchall()
    thermometers: dict[int, list] = {}
    for row in conn.execute(
            "SELECT id, upper(mac::text) AS mac, name, room_id FROM thermometers "
            "WHERE room_id IS NOT NULL ORDER BY id"):
        checked = thermometer_health.get(row["id"], {})
        row |= {"checked_at": checked.get("last_time"), "stale_after_s": checked.get("stale_after_s"),
                "problem": device_problem.get(("thermometer", row["id"]))}
        thermometers.setdefault(row.pop("room_id"), []).append(row)
    valves: dict[int, list] = {}
    for row in conn.execute(
            """SELECT v.id, upper(v.mac::text) AS mac, v.name, v.radiator_power_w, v.room_id,
                      b.id AS bridge_id, b.name AS bridge_name, b.kind AS bridge_kind, b.base_url,
                      b.token AS bridge_token,
                      s.time AS state_time, s.state, s.target_c, s.valve_pct, s.mode, s.until
               FROM valves v JOIN bridges b ON b.id = v.bridge_id
               LEFT JOIN LATERAL (
                   SELECT time, state, target_c, valve_pct, mode, until FROM valve_states
                   WHERE valve_id = v.id AND time <= %s ORDER BY time DESC, id DESC LIMIT 1) AS s ON true
               ORDER BY v.id""", (at,)):
        valves.setdefault(row["room_id"], []).append({
            "id": row["id"], "mac": row["mac"], "name": row["name"],
            "radiator_power_w": row["radiator_power_w"],
            "bridge": _bridge_json(row),
            "state": None if row["state_time"] is None else {
                "time": row["state_time"], "state": row["state"], "target_c": row["target_c"],
                "valve_pct": row["valve_pct"], "mode": row["mode"], "until": row["until"]},
            # When the valve last answered: its latest check or its latest confirmed state.
            "checked_at": _latest(answered.get(("valve", row["id"])), row["state_time"]),
            "problem": device_problem.get(("valve", row["id"])),
        })
    boiler = conn.execute(
        """SELECT time, heat_demand, user_mode, setpoint_c, indicator, reason FROM boiler_states
           WHERE time <= %s ORDER BY time DESC, id DESC LIMIT 1""", (at,)).fetchone()
    boiler_answered = answered.get(("boiler", None))
    boiler_problem = device_problem.get(("boiler", None))
    if boiler is not None or boiler_answered is not None or boiler_problem is not None:
        boiler = (boiler or dict.fromkeys(("time", "heat_demand", "user_mode", "setpoint_c", "indicator", "reason"))) | {
            "checked_at": _latest(boiler_answered, boiler and boiler["time"]), "problem": boiler_problem}

    contacts = inputs.contacts_by_room(conn)
    room_docs = []
    for room in rooms:
        override = overrides.get(room["id"])
        target = resolve_target(at=at, zone=zone, points=points.get(room["id"], []),
                                default_c=room["default_temp_c"], frost_c=room["frost_temp_c"],
                                override=override, house=house)
        reading_time = room.pop("reading_time")
        room_stale_after_s = limit_of_mac.get(room.pop("reading_mac"), stale_after_s)
        measured = room.pop("measured_temperature_c")
        age_s = None if reading_time is None else max(0, round((at - reading_time).total_seconds()))
        active = override if override is not None and override.active_at(at) else None
        room_docs.append({
            "id": room["id"], "name": room["name"], "sort_order": room["sort_order"],
            "temperature_c": None if measured is None else round(measured + room["offset_k"], 2),
            "measured_temperature_c": measured,
            "humidity_pct": room["humidity_pct"], "battery_pct": room["battery_pct"],
            "reading_time": reading_time, "reading_age_s": age_s,
            "in_sync": age_s is not None and age_s <= room_stale_after_s,
            "stale_after_s": room_stale_after_s,
            "target_c": target.target_c, "target_source": target.source,
            "current_switch_point": _occurrence_json(target.current),
            "next_switch_point": _occurrence_json(target.next),
            "override": None if active is None else {
                "kind": active.kind, "temperature_c": active.temperature_c,
                "starts_at": active.starts_at, "ends_at": active.ends_at},
            "default_temp_c": room["default_temp_c"], "frost_temp_c": room["frost_temp_c"],
            "hysteresis_k": room["hysteresis_k"], "offset_k": room["offset_k"],
            "smart_heat": room["smart_heat"], "control": room["control"],
            "thermometers": thermometers.get(room["id"], []),
            "valves": valves.get(room["id"], []),
            "contacts": contacts.get(room["id"], []),
            "window_open": any(c["open"] for c in contacts.get(room["id"], [])),
            # Tells the control loop when its valves' own week programs must be rewritten.
            "valve_program_version": house_valve_program(points.get(room["id"], []), room["default_temp_c"],
                                                         room["frost_temp_c"], house, at).version,
        })
    return {
        "time": at,
        "house_mode": mode_json(house, at),
        "boiler": boiler,
        # The outdoor temperature and forecast the control loop last recorded (null when none is fresh).
        "weather": weather_json(conn, at),
        "stale_after_s": stale_after_s,
        # The lease as it stands now, whatever ``at`` asks about: it says who controls the house.
        "controller": lease.controller_json(conn),
        "rooms": room_docs,
        "outdoor": inputs.latest_outdoor(conn, at),
        "problems": [health.problem_json(row) for row in open_problems],
    }


@endpoint(bp, "/status", "GET", summary="Every room's temperature, target and devices, now or at ?at=",
          query=AtQuery)
def status():
    at = query_args(AtQuery).at or domain.now()
    with connection() as conn:
        evaluate_now(conn)
        return house_status(conn, at)
