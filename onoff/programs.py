"""Keeping each valve's own week program equal to its room's schedule.

The valves' own programs are what the house falls back to when the control loop
is gone (every setting the loop sends ends by itself, see engine.lease_end), so
they must be the rooms' schedules. The API derives each room's program in the
valve's terms (``GET /api/rooms/{id}/valve-program``: at most 7 switch points a
day, 10-minute steps) and gives its version in the status; this module reads a
valve's program when the loop starts and whenever the room's version changes,
writes it where it differs, and keeps the version it confirmed by reading back.
It costs one Bluetooth connection per day of the program read or written, and
nothing while the versions agree.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from common.api_client import ApiRejected, ApiUnavailable
from onoff.drivers import DeviceError, PermanentDeviceError

log = logging.getLogger("onoff.programs")

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def same_program(wanted: dict, reported: dict) -> bool:
    """Whether a valve reports the program wanted, day by day (times and temperatures)."""
    for day in DAYS:
        want = [(p["until"], round(float(p["temperature_c"]) * 2)) for p in wanted.get(day, [])]
        have = [(p["until"], round(float(p["temperature_c"]) * 2)) for p in reported.get(day, [])]
        if want != have:
            return False
    return True


@dataclass
class ProgramSync:
    """Which program version each valve is known to hold; brings valves up to date a few per tick."""

    #: At most this many valves are read or written in one tick: a program takes a valve 7 to 14
    #: Bluetooth exchanges, and the tick must stay short.
    per_tick: int = 2
    retry_s: float = 900.0
    confirmed: dict[str, str] = field(default_factory=dict)
    _programs: dict[tuple[int, str], dict] = field(default_factory=dict)
    _next_try: dict[str, datetime] = field(default_factory=dict)

    def due(self, status: dict, now: datetime) -> list[tuple[dict, dict]]:
        """(room, valve) pairs whose valve is not known to hold its room's current program."""
        pending = []
        for room in status.get("rooms", []):
            version = room.get("valve_program_version")
            if version is None or room.get("control") == "manual":
                continue
            for valve in room.get("valves", []):
                mac = valve["mac"].upper()
                if not (valve.get("bridge") or {}).get("base_url") or self.confirmed.get(mac) == version:
                    continue
                if mac in self._next_try and now < self._next_try[mac]:
                    continue
                pending.append((room, valve))
        return pending[:self.per_tick]

    def program_for(self, api, room: dict) -> dict:
        key = (room["id"], room["valve_program_version"])
        if key not in self._programs:
            # Old versions are of no use once a room's schedule changed.
            self._programs = {k: v for k, v in self._programs.items() if k[0] != room["id"]}
            self._programs[key] = api.get(f"/api/rooms/{room['id']}/valve-program")
        return self._programs[key]

    def sync(self, api, bridge_for, status: dict, now: datetime) -> list[tuple[dict, dict, dict]]:
        """Read, and where needed write, the programs of the valves due.

        Returns (room, valve, reported status) for each valve that was on its program (mode auto)
        when its program was rewritten: it is switched to auto once more so that the new program's
        temperature holds now, not from its next switch point, and the loop records what it reported.
        """
        done = []
        for room, valve in self.due(status, now):
            mac = valve["mac"].upper()
            try:
                program = self.program_for(api, room)
                bridge = bridge_for(valve["bridge"]["base_url"])
                reported = bridge.read_program(mac)
                if not same_program(program["days"], reported.get("days") or {}):
                    log.info("Valve %s in %s holds another week program than its room's schedule; writing it",
                             mac, room.get("name"))
                    reported = bridge.write_program(mac, program["days"])
                    if not same_program(program["days"], reported.get("days") or {}):
                        raise DeviceError(f"valve {mac} reports another program after it was written", "not_confirmed")
                    if (valve.get("state") or {}).get("mode") == "auto":
                        done.append((room, valve, bridge.apply(mac, "auto", None)))
                if not program.get("exact"):
                    log.warning("Valve %s in %s holds a simplified version of the room's schedule: %s", mac,
                                room.get("name"), program.get("message"))
            except (ApiUnavailable, ApiRejected) as exc:
                log.info("The valve program of %s could not be fetched from the API (%s); trying again later",
                         room.get("name"), exc)
                self._next_try[mac] = now + timedelta(seconds=60)
                continue
            except DeviceError as exc:
                wait_s = self.retry_s if isinstance(exc, PermanentDeviceError) else self.retry_s / 3
                log.warning("The week program of valve %s in %s could not be checked or written (%s); "
                            "trying again in %.0f min", mac, room.get("name"), exc, wait_s / 60)
                self._next_try[mac] = now + timedelta(seconds=wait_s)
                continue
            self._next_try.pop(mac, None)
            self.confirmed[mac] = room["valve_program_version"]
            log.info("Valve %s in %s holds its room's schedule as its own week program (version %s)", mac,
                     room.get("name"), room["valve_program_version"])
        return done
