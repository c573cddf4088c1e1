"""The house mode and the household settings."""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint
from psycopg.types.json import Jsonb

from controller_api import domain
from controller_api.auth import authenticated
from controller_api.db import connection
from controller_api.errors import ApiProblem
from controller_api.http import endpoint, json_body
from controller_api.models import HouseholdSettings, HouseholdSettingsPatch, ModeIn

bp = Blueprint("house", __name__, url_prefix="/api")


def mode_json(house, at) -> dict:
    """The house mode in force at ``at``, and a holiday planned after it."""
    effective = house.effective(at)
    planned = house.mode == "holiday" and effective == "home" and house.holiday_from is not None \
        and at < house.holiday_from
    return {"mode": effective, "away_temp_c": house.away_temp_c, "holiday_temp_c": house.holiday_temp_c,
            "holiday_until": house.holiday_until if effective == "holiday" else None,
            "holiday_from": house.holiday_from if effective == "holiday" else None,
            "planned_holiday": {"from": house.holiday_from, "until": house.holiday_until} if planned else None}


def _mode_json(conn) -> dict:
    return mode_json(domain.house_mode(conn), domain.now())


@endpoint(bp, "/mode", "GET", summary="The house mode: home, away, holiday or summer")
def get_mode():
    with connection() as conn:
        return _mode_json(conn)


@endpoint(bp, "/mode", "PUT", summary="Set the house mode", body=ModeIn)
def put_mode():
    data = json_body(ModeIn)

    def instant(value):
        # A date means the start of that day, local time ("back on" for the end, "away from" for the start).
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time(0, 0), tzinfo=domain.home_zone())
        return value

    until, start = instant(data.holiday_until), instant(data.holiday_from)
    if data.mode == "holiday" and until <= domain.now():
        raise ApiProblem(422, "holiday_until: must be in the future",
                         [{"field": "holiday_until", "message": "must be in the future"}])
    if data.mode == "holiday" and start is not None and start >= until:
        raise ApiProblem(422, "holiday_from: must be before holiday_until",
                         [{"field": "holiday_from", "message": "must be before holiday_until"}])
    if start is not None and (data.mode != "holiday" or start <= domain.now()):
        start = None  # a start now or in the past: the holiday starts now
    with connection() as conn:
        current = domain.house_mode(conn)
        conn.execute(
            """UPDATE house_mode SET mode = %s, away_temp_c = %s, holiday_temp_c = %s, holiday_until = %s,
                                     holiday_from = %s, updated_at = now()""",
            (data.mode, data.away_temp_c or current.away_temp_c, data.holiday_temp_c or current.holiday_temp_c,
             until if data.mode == "holiday" else None, start))
        return _mode_json(conn)


def _settings_json(settings) -> dict:
    out = settings.model_dump()
    # Notification URLs hold tokens and passwords: in full only for callers with credentials.
    if not authenticated():
        from controller_api.notify import masked

        out["notify_urls"] = [masked(url) for url in out["notify_urls"]]
    return out


@endpoint(bp, "/settings", "GET", summary="Household settings (notify_urls masked without credentials)")
def get_settings():
    with connection() as conn:
        return _settings_json(domain.household_settings(conn))


@endpoint(bp, "/settings", "PATCH", summary="Change household settings", body=HouseholdSettingsPatch)
def patch_settings():
    changes = json_body(HouseholdSettingsPatch).model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None:
            raise ApiProblem(422, f"{key}: may not be null", [{"field": key, "message": "may not be null"}])
    with connection() as conn:
        merged = domain.household_settings(conn).model_dump() | changes
        HouseholdSettings.model_validate(merged)
        for key, value in changes.items():
            conn.execute(
                """INSERT INTO settings (key, value) VALUES (%s, %s)
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()""",
                (key, Jsonb(value)))
        return _settings_json(domain.household_settings(conn))
