"""POST /api/device-checks from the control loop, and GET /api/problems: the house's health history."""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from flask import Blueprint, current_app
from pydantic import Field, model_validator

from controller_api import domain, health
from controller_api.db import connection
from controller_api.errors import ApiProblem
from controller_api.http import endpoint, json_body, query_args
from controller_api.models import Measured, Model, RangeQuery

bp = Blueprint("problems", __name__, url_prefix="/api")

#: The longest range GET /api/problems answers, and the most rows it returns.
MAX_RANGE = timedelta(days=366)
MAX_PROBLEMS = 1000
DEFAULT_RANGE = timedelta(days=30)


class DeviceCheckIn(Model):
    time: Measured
    kind: Literal["valve", "bridge", "boiler"]
    id: int | None = Field(default=None, description="the valve's or bridge's id; null for the boiler")
    ok: bool = Field(description="true: the device answered")
    code: str | None = Field(default=None, max_length=40,
                             description="when not ok: valve_unreachable, bridge_unreachable or boiler_unreachable "
                                         "(null means the unreachable code of its kind)")
    message: str | None = Field(default=None, max_length=500, description="what the loop saw, for the log")

    @model_validator(mode="after")
    def _consistent(self) -> "DeviceCheckIn":
        if self.kind == "boiler" and self.id is not None:
            raise ValueError("id: must be null for the boiler")
        if self.kind != "boiler" and self.id is None:
            raise ValueError(f"id: a {self.kind} check names the {self.kind}'s id")
        allowed = health.CHECK_CODES[self.kind]
        if self.ok and self.code not in (None, *health.CLOSED_ONLY_BY_NAME):
            raise ValueError(f"code: must be null when ok is true (or {', '.join(health.CLOSED_ONLY_BY_NAME)}, "
                             "which an answer closes only when it names it)")
        if not self.ok and self.code not in (None, *allowed):
            raise ValueError(f"code: a failed {self.kind} check has code {' or '.join(allowed)}")
        return self


class DeviceChecksIn(Model):
    checks: list[DeviceCheckIn] = Field(min_length=1, max_length=1000)


class ProblemsQuery(RangeQuery):
    limit: int = Field(default=MAX_PROBLEMS, ge=1, le=MAX_PROBLEMS)

    @model_validator(mode="after")
    def _bounded(self) -> "ProblemsQuery":
        if self.from_ and self.to and self.to - self.from_ > MAX_RANGE:
            raise ValueError(f"to: at most {MAX_RANGE.days} days after from")
        return self


def _subjects(conn) -> tuple[dict, dict]:
    valves = {r["id"]: r for r in conn.execute(
        """SELECT v.id, upper(v.mac::text) AS mac, v.name, r.name AS room_name
           FROM valves v JOIN rooms r ON r.id = v.room_id""")}
    bridges = {r["id"]: r for r in conn.execute("SELECT id, name FROM bridges")}
    return valves, bridges


@endpoint(bp, "/device-checks", "POST",
          summary="Record whether the valves, bridges and boiler the control loop called answered (control loop)",
          body=DeviceChecksIn, tags=["health"])
def post_device_checks():
    """Keeps the latest check per device; a failure opens its unreachable problem, an answer closes it.

    Checks of a valve or bridge that no longer exists are counted as unknown and not stored.
    """
    checks = sorted(json_body(DeviceChecksIn).checks, key=lambda c: c.time)
    now, zone = domain.now(), domain.home_zone()
    stored = unknown = 0
    with connection() as conn:
        valves, bridges = _subjects(conn)
        for check in checks:
            if (check.kind == "valve" and check.id not in valves) or (check.kind == "bridge"
                                                                       and check.id not in bridges):
                unknown += 1
                continue
            stored += 1
            # The adapter's state is no answer of the bridge: its problem opens and closes, the bridge's
            # latest check stays what the control loop saw.
            if check.code not in health.CLOSED_ONLY_BY_NAME:
                conn.execute(
                    """INSERT INTO device_checks (kind, device_id, time, ok, code, message, answered_at)
                       VALUES (%(kind)s, %(id)s, %(time)s, %(ok)s, %(code)s, %(message)s,
                               CASE WHEN %(ok)s THEN %(time)s END)
                       ON CONFLICT (kind, device_id) DO UPDATE SET
                           time = EXCLUDED.time, ok = EXCLUDED.ok, code = EXCLUDED.code, message = EXCLUDED.message,
                           answered_at = greatest(device_checks.answered_at, EXCLUDED.answered_at)""",
                    {"kind": check.kind, "id": check.id, "time": check.time, "ok": check.ok,
                     "code": None if check.ok else check.code or health.UNREACHABLE[check.kind],
                     "message": check.message})
            code = check.code or health.UNREACHABLE[check.kind]
            if check.ok:
                closes = [check.code] if check.code else [c for c in health.CHECK_CODES[check.kind]
                                                          if c not in health.CLOSED_ONLY_BY_NAME]
                conn.execute(
                    """UPDATE problems SET closed_at = greatest(%s, opened_at)
                       WHERE closed_at IS NULL AND code = ANY(%s) AND subject_kind = %s
                         AND subject_id IS NOT DISTINCT FROM %s""",
                    (check.time, closes, check.kind, check.id))
                continue
            if check.kind == "valve":
                valve = valves[check.id]
                name = valve["name"] or valve["mac"]
                label = health.valve_label(valve["name"], valve["mac"], valve["room_name"])
            elif check.kind == "bridge":
                name = label = bridges[check.id]["name"]
            else:
                name = label = "boiler"
            # Already open: its start stays the first failure's time.
            conn.execute(
                """INSERT INTO problems (code, severity, subject_kind, subject_id, subject_name, opened_at, message)
                   VALUES (%s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (code, subject_kind, subject_id) WHERE closed_at IS NULL DO NOTHING""",
                (code, health.SEVERITY[code], check.kind, check.id, name, check.time,
                 health.describe(code, check.kind, label, check.time, now, zone)))
    return {"stored": stored, "unknown": unknown}


def history_json(row: dict) -> dict:
    return {"id": row["id"], "code": row["code"], "severity": row["severity"],
            "subject": {"kind": row["subject_kind"], "id": row["subject_id"], "name": row["subject_name"]},
            "opened_at": row["opened_at"], "closed_at": row["closed_at"], "message": row["message"],
            "notified_open_at": row["notified_open_at"], "notified_close_at": row["notified_close_at"]}


def evaluate_now(conn) -> None:
    """Brings the problems up to date at the API's now, in a transaction of its own."""
    clock = current_app.extensions["clock"]
    health.evaluate(conn, domain.now(), domain.home_zone(), getattr(clock, "speed", 1.0))
    conn.commit()


@endpoint(bp, "/problems", "GET",
          summary="Problems, open and closed, that overlap [from, to] (default: the last 30 days), newest first",
          query=ProblemsQuery, tags=["health"])
def get_problems():
    query = query_args(ProblemsQuery)
    now = domain.now()
    to = query.to or now
    start = query.from_ or min(to, now) - DEFAULT_RANGE
    if to <= start:
        raise ApiProblem(422, "to: must be after from", [{"field": "to", "message": "must be after from"}])
    if to - start > MAX_RANGE:
        raise ApiProblem(422, f"from: at most {MAX_RANGE.days} days before to",
                         [{"field": "from", "message": f"at most {MAX_RANGE.days} days before to"}])
    with connection() as conn:
        evaluate_now(conn)
        rows = conn.execute(
            """SELECT id, code, severity, subject_kind, subject_id, subject_name, opened_at, closed_at, message,
                      notified_open_at, notified_close_at
               FROM problems
               WHERE opened_at <= %s AND (closed_at IS NULL OR closed_at >= %s)
               ORDER BY opened_at DESC, id DESC LIMIT %s""", (to, start, query.limit)).fetchall()
    return {"from": start, "to": to, "problems": [history_json(r) for r in rows]}
