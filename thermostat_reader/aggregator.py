"""From a flood of advertisements to at most one reading per thermometer and interval.

Thermometers repeat each measurement several times a second, and pvvx
firmware measures every few seconds. The aggregator keeps, per thermometer,
the newest measurement of each interval (intervals aligned on the clock:
``floor(time / interval_s)``), and hands it out once that interval has closed,
so the stored series has one point per interval and never misses the latest
value. Repeats of one measurement (same packet id) are dropped.

Pure: the caller passes ``now``; a lock makes it safe to feed from the
scanner's thread while the service loop takes readings out.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from protocols.lywsd03mmc import Reading


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z (the API's instant format)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class _Pending:
    bucket: int
    record: dict


@dataclass
class AggregatorStats:
    heard: int = 0
    duplicates: int = 0
    emitted: int = 0
    per_mac_last_seen: dict[str, datetime] = field(default_factory=dict)


class Aggregator:
    def __init__(self, interval_s: float, unknown_interval_s: float, duplicate_window_s: float | None = None):
        if interval_s <= 0 or unknown_interval_s <= 0:
            raise ValueError("intervals must be positive")
        self.interval_s = interval_s
        self.unknown_interval_s = unknown_interval_s
        # A sensor that keeps repeating one packet id for this long has not stopped
        # advertising: its repeat is let through (it is still the truth about the room).
        self.duplicate_window_s = duplicate_window_s or max(600.0, 2 * interval_s)
        self.known: set[str] = set()
        self.stats = AggregatorStats()
        self._pending: dict[str, _Pending] = {}
        self._ready: list[dict] = []
        self._last_packet: dict[str, tuple[str, int, datetime]] = {}
        self._lock = threading.Lock()

    def set_known(self, macs: set[str]) -> None:
        """The configured thermometers (upper-case MACs); others get the slower unknown interval."""
        with self._lock:
            self.known = {mac.upper() for mac in macs}

    def _interval_for(self, mac: str) -> float:
        return self.interval_s if mac in self.known else self.unknown_interval_s

    def _bucket(self, mac: str, moment: datetime) -> int:
        return math.floor(moment.timestamp() / self._interval_for(mac))

    def offer(self, mac: str, reading: Reading | None, now: datetime, rssi_dbm: int | None = None,
              name: str | None = None, format_name: str | None = None, encrypted: bool = False) -> bool:
        """Take one heard advertisement; False when it repeats a measurement already taken.

        ``reading`` None stands for a thermometer heard but not decodable (encrypted
        without its bind key): it is still reported, without values, so it can be listed.
        """
        mac = mac.upper()
        with self._lock:
            self.stats.heard += 1
            self.stats.per_mac_last_seen[mac] = now
            if reading is not None and reading.packet_id is not None:
                last = self._last_packet.get(mac)
                if (last is not None and last[0] == reading.format and last[1] == reading.packet_id
                        and (now - last[2]).total_seconds() < self.duplicate_window_s):
                    self.stats.duplicates += 1
                    return False
                self._last_packet[mac] = (reading.format, reading.packet_id, now)
            record = _record(mac, reading, now, rssi_dbm, name, format_name, encrypted)
            bucket = self._bucket(mac, now)
            pending = self._pending.get(mac)
            if pending is not None and pending.bucket != bucket:
                self._ready.append(pending.record)
            self._pending[mac] = _Pending(bucket, record)
            return True

    def take_due(self, now: datetime) -> list[dict]:
        """Readings whose interval has closed by ``now``, oldest first."""
        with self._lock:
            for mac, pending in list(self._pending.items()):
                if pending.bucket < self._bucket(mac, now):
                    self._ready.append(pending.record)
                    del self._pending[mac]
            return self._drain()

    def take_all(self) -> list[dict]:
        """Everything held, closed interval or not (at shutdown: nothing is lost)."""
        with self._lock:
            self._ready.extend(p.record for p in self._pending.values())
            self._pending.clear()
            return self._drain()

    def _drain(self) -> list[dict]:
        ready, self._ready = sorted(self._ready, key=lambda r: r["time"]), []
        self.stats.emitted += len(ready)
        return ready


def _record(mac: str, reading: Reading | None, now: datetime, rssi_dbm: int | None, name: str | None,
            format_name: str | None, encrypted: bool) -> dict:
    """The API's reading object (docs/api.md, POST /api/readings), absent values left out."""
    record: dict = {"mac": mac, "time": iso_utc(now)}
    if reading is not None:
        record["format"] = reading.format
        record["encrypted"] = reading.encrypted
        # Values outside what a room can be are a decoding accident, not a measurement.
        if reading.temperature_c is not None and -40 <= reading.temperature_c <= 85:
            record["temperature_c"] = reading.temperature_c
        if reading.humidity_pct is not None and 0 <= reading.humidity_pct <= 100:
            record["humidity_pct"] = reading.humidity_pct
        if reading.battery_pct is not None:
            record["battery_pct"] = max(0, min(100, reading.battery_pct))
        if reading.voltage_v is not None and reading.voltage_v <= 10:
            record["voltage_v"] = reading.voltage_v
    else:
        record["encrypted"] = encrypted
        if format_name:
            record["format"] = format_name
    if rssi_dbm is not None and -127 <= rssi_dbm <= 20:
        record["rssi_dbm"] = rssi_dbm
    if name:
        record["name"] = name[:60]
    return record


