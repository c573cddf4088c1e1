"""Inputs from the home: window and door contacts, presence, an outdoor thermometer.

Each stores what a sensor reported and when. A contact's effect (the room's valves shut) is the
control loop's rule, read from the status; presence changes the house mode here, because the
house mode is the API's.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint

from controller_api import domain
from controller_api.crud import ROOMS
from controller_api.db import connection
from controller_api.http import endpoint, json_body
from controller_api.models import ContactIn, OutdoorReadingIn, PresenceIn

bp = Blueprint("inputs", __name__, url_prefix="/api")

#: The status shows an outdoor reading this long; an older one is no weather any more.
OUTDOOR_FRESH = timedelta(hours=1)


def contacts_by_room(conn) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for row in conn.execute("SELECT room_id, name, is_open, time, source FROM room_contacts ORDER BY room_id, name"):
        out.setdefault(row["room_id"], []).append(
            {"name": row["name"], "open": row["is_open"], "time": row["time"], "source": row["source"]})
    return out


def latest_outdoor(conn, at) -> dict | None:
    return conn.execute(
        """SELECT time, temperature_c, source FROM outdoor_readings WHERE time <= %s AND time > %s
           ORDER BY time DESC LIMIT 1""", (at, at - OUTDOOR_FRESH)).fetchone()


@endpoint(bp, "/rooms/<int:room_id>/contacts", "POST", summary="A window or door contact of the room reports",
          body=ContactIn)
def post_contact(room_id: int):
    data = json_body(ContactIn)
    with connection() as conn:
        ROOMS.get(room_id, conn)
        conn.execute(
            """INSERT INTO room_contacts (room_id, name, is_open, time, source) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (room_id, name) DO UPDATE SET is_open = EXCLUDED.is_open, time = EXCLUDED.time,
                   source = EXCLUDED.source
               WHERE room_contacts.time <= EXCLUDED.time""",
            (room_id, data.name, data.open, data.time or domain.now(), data.source))
        return {"room_id": room_id, "contacts": contacts_by_room(conn).get(room_id, [])}


def _presence_json(conn) -> dict:
    people = conn.execute("SELECT person, is_home, time, source FROM presence ORDER BY person").fetchall()
    return {"people": [{"person": p["person"], "home": p["is_home"], "time": p["time"], "source": p["source"]}
                       for p in people],
            "anyone_home": any(p["is_home"] for p in people),
            "mode": domain.house_mode(conn).effective(domain.now())}


@endpoint(bp, "/presence", "GET", summary="Who of the household is home, as their presence sensors said")
def get_presence():
    with connection() as conn:
        return _presence_json(conn)


@endpoint(bp, "/presence", "POST", summary="A person arrives or leaves: everyone gone makes the house away",
          body=PresenceIn)
def post_presence():
    data = json_body(PresenceIn)
    with connection() as conn:
        conn.execute("SELECT mode FROM house_mode FOR UPDATE")  # one presence change of the mode at a time
        was_home = conn.execute("SELECT is_home FROM presence WHERE person = %s", (data.person,)).fetchone()
        changed = conn.execute(
            """INSERT INTO presence (person, is_home, time, source) VALUES (%s, %s, %s, %s)
               ON CONFLICT (person) DO UPDATE SET is_home = EXCLUDED.is_home, time = EXCLUDED.time,
                   source = EXCLUDED.source
               WHERE presence.time <= EXCLUDED.time RETURNING 1""",
            (data.person, data.home, data.time or domain.now(), data.source)).fetchone()
        anyone_home = conn.execute("SELECT bool_or(is_home) AS any FROM presence").fetchone()["any"]
        mode = domain.house_mode(conn).effective(domain.now())
        # Only someone leaving or arriving moves the mode (a report that repeats what was known does
        # not), so a mode set by hand holds until then; a holiday is never ended by presence.
        moved = changed and (was_home is None or was_home["is_home"] != data.home)
        if moved and not data.home and not anyone_home and mode == "home":
            conn.execute("UPDATE house_mode SET mode = 'away', updated_at = now()")
        elif moved and data.home and mode == "away":
            conn.execute("UPDATE house_mode SET mode = 'home', updated_at = now()")
        return _presence_json(conn)


@endpoint(bp, "/outdoor-readings", "POST", summary="A reading of the house's outdoor thermometer (a weather source)",
          body=OutdoorReadingIn)
def post_outdoor_reading():
    data = json_body(OutdoorReadingIn)
    with connection() as conn:
        stored = conn.execute(
            """INSERT INTO outdoor_readings (time, temperature_c, source) VALUES (%s, %s, %s)
               ON CONFLICT (time) DO NOTHING RETURNING 1""",
            (data.time or domain.now(), data.temperature_c, data.source)).fetchone()
    return {"stored": 1 if stored else 0, "duplicates": 0 if stored else 1}
