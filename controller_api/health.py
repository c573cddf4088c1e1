"""House health: problems that open and close themselves, and the words a household reads.

Two sources open and close problems:

- the control loop's device checks (``POST /api/device-checks``, in
  ``controller_api.problems``): a valve, bridge or boiler that did not answer;
- :func:`evaluate`, which judges the database at an instant: a silent
  thermometer, a low battery, a silent control loop, a silent meter.

Everything here takes a connection and an instant and needs no Flask app, so
the API and the notifier (``controller_api.watch``) run the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from controller_api.models import HouseholdSettings

#: Stock Xiaomi firmware (MiBeacon) sends temperature, humidity and battery in
#: turn, a temperature only every 10–30 minutes (simulator.simhouse:
#: MIBEACON_INTERVAL_S; tests/e2e/test_demo_stack.py sees 20+ minutes). Twice
#: the slowest cadence, so one lost advertisement never makes a healthy stock
#: thermometer stale, and a dead one is still noticed within the hour.
STOCK_FIRMWARE_STALE_MIN = 60
#: Custom firmware (pvvx, atc1441, bthome) measures every few seconds and the
#: reader stores one reading a minute: these use the household's stale_after_min.
STOCK_FORMATS = {"mibeacon"}
#: A thermometer of format "auto" counts as stock firmware when one of its
#: readings in this window carries no temperature: only stock firmware sends
#: its values one at a time.
AUTO_STOCK_WINDOW = timedelta(hours=2)
#: The page shows a low battery at this percentage (frontend/src/format.js LOW_BATTERY_PCT).
BATTERY_LOW_PCT = 15
#: A low battery closes only above this, so a coin cell reading 15, 16, 15 on a
#: cold night is one problem, not a message every hour.
BATTERY_OK_PCT = 20
#: Battery readings older than this say nothing about the battery now.
BATTERY_WINDOW = timedelta(days=7)
#: The loop ticks every minute; five minutes without a tick is a loop that died or hangs.
CONTROLLER_SILENT_AFTER = timedelta(minutes=5)
#: On an accelerated demo clock one slow device call can outlast five simulated
#: minutes; a tick may take this many wall seconds before the loop counts as silent
#: (at 60× that is the five minutes themselves; in real time it never matters).
CONTROLLER_SILENT_WALL_S = 5
#: DSMR 4 gas meters report hourly, stamped with the hour they were read, so a
#: fresh gas reading is up to about 70 minutes old; DSMR 5 reports every 5
#: minutes. Three hours tolerates one lost hourly value.
GAS_METER_SILENT_AFTER = timedelta(hours=3)
#: The P1 reader stores electricity at most once per electricity_interval_s (at most an hour).
ELECTRICITY_METER_SILENT_AFTER = timedelta(hours=2)

SEVERITY = {
    "valve_unreachable": "error", "bridge_unreachable": "error", "boiler_unreachable": "error",
    "valve_unpaired": "error", "adapter_stuck": "warning",
    "thermometer_stale": "error", "controller_silent": "error",
    "battery_low": "warning", "meter_silent": "warning",
}
#: The problem a failed device check opens, by device kind.
UNREACHABLE = {"valve": "valve_unreachable", "bridge": "bridge_unreachable", "boiler": "boiler_unreachable"}
#: Other codes a failed device check may carry, by device kind; an answer closes them all.
CHECK_CODES = {"valve": ("valve_unreachable", "valve_unpaired"), "bridge": ("bridge_unreachable", "adapter_stuck"),
               "boiler": ("boiler_unreachable",)}
#: Codes an answering device does not close: only a check that names them does (the reader's, for
#: its adapter), since the bridge's HTTP answering says nothing of its scan.
CLOSED_ONLY_BY_NAME = ("adapter_stuck",)
DERIVED = ("thermometer_stale", "battery_low", "controller_silent", "meter_silent")

#: Serialises evaluations across API workers and the notifier (pg_advisory_xact_lock key).
_LOCK_KEY = 0x4845414C5448  # "HEALTH"


# Words ---------------------------------------------------------------------------

def when(instant: datetime, now: datetime, zone: ZoneInfo) -> str:
    """The instant as a household says it: "07:12" today, else "Mon 12 Jan 07:12"."""
    local = instant.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _the_room(room_name: str | None) -> str:
    return f" in the {room_name}" if room_name else ""


def valve_label(name: str | None, mac: str, room_name: str | None) -> str:
    return (f"radiator valve '{name}'" if name else f"radiator valve {mac}") + _the_room(room_name)


def thermometer_label(name: str | None, mac: str, room_name: str | None) -> str:
    return (f"thermometer '{name}'" if name else f"thermometer {mac}") + _the_room(room_name)


def describe(code: str, subject_kind: str, label: str, since: datetime, now: datetime, zone: ZoneInfo,
             detail: dict | None = None) -> str:
    """The message of a problem: what is wrong, since when, and what to do."""
    at = when(since, now, zone)
    detail = detail or {}
    if code == "valve_unreachable":
        return (f"The {label} has not answered since {at}. Check its batteries, or move its bridge closer. "
                "Meanwhile it follows its own week program.")
    if code == "valve_unpaired":
        return (f"The {label} refuses commands since {at}: it must be paired. Hold its wheel pressed until it "
                "shows PAir and a PIN, then pair this valve on the page: enter the PIN shown on its display. "
                "Meanwhile it follows its own week program.")
    if code == "adapter_stuck":
        return (f"The Bluetooth adapter of '{label}' heard no thermometer since {at}; the thermometer reader "
                "restarts its scan by itself. If this comes back often, check that no other program uses the "
                "Pi's Bluetooth, and move the Pi away from USB 3 ports and Wi-Fi routers.")
    if code == "bridge_unreachable":
        return (f"The valve bridge '{label}' has not answered since {at}. Check that it has power and is on "
                "the network (for the Pi's own bridge: that the thermometer reader runs). Its valves follow "
                "their own week programs meanwhile.")
    if code == "boiler_unreachable":
        return (f"The boiler has not answered since {at}. Check that the boiler and its internet module are "
                "on and online; it follows its own clock program meanwhile.")
    if code == "thermometer_stale":
        if detail.get("never"):
            return (f"The {label} has not been heard since it was added at {at}. Check its MAC address, "
                    "format and bind key, and its battery.")
        return (f"The {label} has sent nothing since {at}. Check its battery, or whether it is within reach of "
                "the Pi or a reader; meanwhile the room's valves follow their own week program.")
    if code == "battery_low" and subject_kind == "thermometer":
        return (f"The battery of the {label} is at {detail.get('battery_pct')} %. Replace it (a CR2032 coin "
                "cell) soon.")
    if code == "battery_low":
        return f"The {label} reports a low battery. Replace its two AA batteries soon."
    if code == "controller_silent":
        return (f"The heating control loop has not run since {at}: nothing switches the valves and the boiler, "
                "which follow their own programs. Restart the heating controller (onoff) on the Pi.")
    if code == "meter_silent":
        return (f"No reading from the {label} since {at}. Check the P1 cable to the smart meter and the meter "
                "reader (p1_reader).")
    return f"{label}: {code} since {at}."


# Thermometers: the limit that fits each firmware ----------------------------------

def custom_stale_s(settings: HouseholdSettings) -> int:
    return settings.stale_after_min * 60


def stock_stale_s(settings: HouseholdSettings) -> int:
    # A household that allows custom firmware even longer gets that for stock firmware too.
    return max(STOCK_FIRMWARE_STALE_MIN, settings.stale_after_min) * 60


def thermometers(conn, at: datetime, settings: HouseholdSettings) -> list[dict]:
    """Every thermometer in a room with its latest temperature reading (at or before ``at``),
    its latest battery percentage, and ``stale_after_s``: the limit of its firmware."""
    rows = conn.execute(
        """SELECT t.id, upper(t.mac::text) AS mac, t.name, t.format, t.created_at, t.room_id,
                  r.name AS room_name, last.time AS last_time, bat.battery_pct,
                  (t.format = 'auto' AND EXISTS (
                       SELECT 1 FROM readings p WHERE p.mac = t.mac AND p.time > %(window)s
                         AND p.time <= %(at)s AND p.temperature_c IS NULL)) AS heard_as_stock
           FROM thermometers t JOIN rooms r ON r.id = t.room_id
           LEFT JOIN LATERAL (
               SELECT time FROM readings WHERE mac = t.mac AND time <= %(at)s AND temperature_c IS NOT NULL
               ORDER BY time DESC LIMIT 1) AS last ON true
           LEFT JOIN LATERAL (
               SELECT battery_pct FROM readings WHERE mac = t.mac AND time <= %(at)s
                 AND time > %(battery_since)s AND battery_pct IS NOT NULL
               ORDER BY time DESC LIMIT 1) AS bat ON true
           ORDER BY t.id""",
        {"at": at, "window": at - AUTO_STOCK_WINDOW, "battery_since": at - BATTERY_WINDOW}).fetchall()
    for row in rows:
        heard_as_stock = row.pop("heard_as_stock")
        stock = row["format"] in STOCK_FORMATS or heard_as_stock
        row["stale_after_s"] = stock_stale_s(settings) if stock else custom_stale_s(settings)
    return rows


# Evaluation ----------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    """A problem that should be open now."""

    severity: str
    since: datetime
    name: str | None
    message: str


def _controller_silent_after(clock_speed: float) -> timedelta:
    return max(CONTROLLER_SILENT_AFTER, timedelta(seconds=CONTROLLER_SILENT_WALL_S * clock_speed))


def _derived(conn, now: datetime, zone: ZoneInfo, clock_speed: float,
             open_now: set[tuple]) -> dict[tuple, Found]:
    from controller_api.domain import household_settings  # the settings loader; no app needed

    settings = household_settings(conn)
    found: dict[tuple, Found] = {}

    def add(code, kind, ident, since, name, label, detail=None):
        found[(code, kind, ident)] = Found(SEVERITY[code], since, name,
                                           describe(code, kind, label, since, now, zone, detail))

    for t in thermometers(conn, now, settings):
        label = thermometer_label(t["name"], t["mac"], t["room_name"])
        name = t["name"] or t["mac"]
        if t["last_time"] is None:
            if (now - t["created_at"]).total_seconds() > t["stale_after_s"]:
                add("thermometer_stale", "thermometer", t["id"], t["created_at"], name, label, {"never": True})
        elif (now - t["last_time"]).total_seconds() > t["stale_after_s"]:
            add("thermometer_stale", "thermometer", t["id"], t["last_time"], name, label)
        pct = t["battery_pct"]
        limit = BATTERY_OK_PCT if ("battery_low", "thermometer", t["id"]) in open_now else BATTERY_LOW_PCT
        if pct is not None and pct <= limit:
            add("battery_low", "thermometer", t["id"], now, name, label, {"battery_pct": pct})

    for v in conn.execute(
            """SELECT v.id, upper(v.mac::text) AS mac, v.name, r.name AS room_name, s.time
               FROM valves v JOIN rooms r ON r.id = v.room_id
               JOIN LATERAL (
                   SELECT time, low_battery FROM valve_states
                   WHERE valve_id = v.id AND low_battery IS NOT NULL AND time <= %s
                   ORDER BY time DESC, id DESC LIMIT 1) AS s ON s.low_battery
               ORDER BY v.id""", (now,)):
        add("battery_low", "valve", v["id"], v["time"], v["name"] or v["mac"],
            valve_label(v["name"], v["mac"], v["room_name"]))

    lease = conn.execute("SELECT last_tick_at FROM controller_lease").fetchone()
    last_tick = lease["last_tick_at"] if lease else None
    # A house whose loop never ticked is a fresh install (or one without a loop): nothing has gone silent.
    if last_tick is not None and now - last_tick > _controller_silent_after(clock_speed):
        add("controller_silent", "controller", None, last_tick, "control loop", "control loop")

    for kind, table, limit, label in (("gas_meter", "gas_readings", GAS_METER_SILENT_AFTER, "gas meter"),
                                      ("electricity_meter", "electricity_readings",
                                       ELECTRICITY_METER_SILENT_AFTER, "electricity meter")):
        latest = conn.execute(f"SELECT max(time) AS time FROM {table} WHERE time <= %s", (now,)).fetchone()["time"]
        # Only a meter that has reported can fall silent: a house without a P1 reader has no alarm.
        if latest is not None and now - latest > limit:
            add("meter_silent", kind, None, latest, label, label)
    return found


def _loop_subjects(conn, now: datetime, zone: ZoneInfo, problems: list[dict]) -> dict[tuple, tuple]:
    """(name, message) of every open device-check problem whose device still exists."""
    valves = {r["id"]: r for r in conn.execute(
        """SELECT v.id, upper(v.mac::text) AS mac, v.name, r.name AS room_name
           FROM valves v JOIN rooms r ON r.id = v.room_id""")}
    bridges = {r["id"]: r for r in conn.execute("SELECT id, name FROM bridges")}
    current = {}
    for p in problems:
        key = (p["code"], p["subject_kind"], p["subject_id"])
        if p["subject_kind"] == "valve" and p["subject_id"] in valves:
            v = valves[p["subject_id"]]
            label, name = valve_label(v["name"], v["mac"], v["room_name"]), v["name"] or v["mac"]
        elif p["subject_kind"] == "bridge" and p["subject_id"] in bridges:
            label = name = bridges[p["subject_id"]]["name"]
        elif p["subject_kind"] == "boiler":
            label = name = "boiler"
        else:
            continue
        current[key] = (name, describe(p["code"], p["subject_kind"], label, p["opened_at"], now, zone))
    return current


def lock(conn) -> None:
    """Takes the evaluation lock for the rest of this transaction."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))


def evaluate(conn, now: datetime, zone: ZoneInfo, clock_speed: float = 1.0) -> None:
    """Opens the problems the database shows at ``now`` and closes those it no longer shows.

    Idempotent. Runs under a transaction-scoped advisory lock, so API workers
    and the notifier evaluating at once take turns; the partial unique index
    problems_open_key keeps at most one open problem per code and subject
    even against a device check arriving meanwhile. Open problems' messages
    are rewritten (names change, "since 07:12" gains its date the next day).
    """
    lock(conn)
    open_rows = conn.execute(
        """SELECT id, code, subject_kind, subject_id, subject_name, opened_at, message
           FROM problems WHERE closed_at IS NULL""").fetchall()
    open_now = {(r["code"], r["subject_kind"], r["subject_id"]) for r in open_rows}
    wanted = _derived(conn, now, zone, clock_speed, open_now)
    loop = _loop_subjects(conn, now, zone, [r for r in open_rows if r["code"] not in DERIVED])
    for row in open_rows:
        key = (row["code"], row["subject_kind"], row["subject_id"])
        if row["code"] in DERIVED:
            still = wanted.get(key)
            name, message = (still.name, still.message) if still else (None, None)
        else:
            still = loop.get(key)
            name, message = still if still else (None, None)
        if still is None:
            # The condition ended (or its device was removed, so nobody checks it any more).
            conn.execute("UPDATE problems SET closed_at = greatest(%s, opened_at) WHERE id = %s", (now, row["id"]))
        elif (name, message) != (row["subject_name"], row["message"]):
            conn.execute("UPDATE problems SET subject_name = %s, message = %s WHERE id = %s",
                         (name, message, row["id"]))
    for (code, kind, ident), problem in wanted.items():
        if (code, kind, ident) in open_now:
            continue
        conn.execute(
            """INSERT INTO problems (code, severity, subject_kind, subject_id, subject_name, opened_at, message)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (code, subject_kind, subject_id) WHERE closed_at IS NULL DO NOTHING""",
            (code, problem.severity, kind, ident, problem.name, problem.since, problem.message))


def problem_json(row: dict) -> dict:
    """A problem as GET /api/status lists the open ones."""
    return {"id": row["id"], "code": row["code"], "severity": row["severity"],
            "subject": {"kind": row["subject_kind"], "id": row["subject_id"], "name": row["subject_name"]},
            "since": row["opened_at"], "message": row["message"]}


def open_problems(conn) -> list[dict]:
    """The open problems, errors first, then oldest first."""
    return conn.execute(
        """SELECT id, code, severity, subject_kind, subject_id, subject_name, opened_at, message
           FROM problems WHERE closed_at IS NULL
           ORDER BY severity = 'error' DESC, opened_at, id""").fetchall()
