"""Loads the domain's rule inputs from the database for the pure rules in schedule.py."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from controller_api.models import HouseholdSettings
from controller_api.schedule import HouseMode, Override, SwitchPoint


def now() -> datetime:
    """The API's "now": the wall clock, or the demo's simulated clock."""
    return current_app.extensions["clock"].now()


def home_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def switch_points(conn, room_id: int | None = None) -> dict[int, list[SwitchPoint]]:
    query = "SELECT room_id, weekday, at_time, temperature_c FROM switch_points"
    params: tuple = ()
    if room_id is not None:
        query += " WHERE room_id = %s"
        params = (room_id,)
    found: dict[int, list[SwitchPoint]] = {}
    for row in conn.execute(query + " ORDER BY room_id, weekday, at_time", params):
        found.setdefault(row["room_id"], []).append(
            SwitchPoint(row["weekday"], row["at_time"], row["temperature_c"]))
    return found


def overrides(conn, room_id: int | None = None) -> dict[int, Override]:
    query = "SELECT room_id, kind, temperature_c, starts_at, ends_at FROM overrides"
    params: tuple = ()
    if room_id is not None:
        query += " WHERE room_id = %s"
        params = (room_id,)
    return {
        row["room_id"]: Override(row["temperature_c"], row["kind"], row["starts_at"], row["ends_at"])
        for row in conn.execute(query, params)
    }


def house_mode(conn) -> HouseMode:
    row = conn.execute(
        "SELECT mode, away_temp_c, holiday_temp_c, holiday_until, holiday_from FROM house_mode").fetchone()
    return HouseMode(row["mode"], row["away_temp_c"], row["holiday_temp_c"], row["holiday_until"], row["holiday_from"])


def household_settings(conn) -> HouseholdSettings:
    stored = {row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM settings")}
    known = {k: v for k, v in stored.items() if k in HouseholdSettings.model_fields}
    return HouseholdSettings.model_validate(known)
