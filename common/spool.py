"""A small crash-safe, bounded, append-only spool of JSON records on local disk.

The readers put every reading here before sending it, and take records out
only after the API has stored them, so an API outage or a restart loses
nothing. Layout of the spool directory:

- ``seg-<n>.jsonl``: segments of JSON lines, appended and fsynced; the
  highest-numbered segment is the one being written.
- ``cursor.json``: ``{"segment": n, "offset": bytes}``, the first record not
  yet delivered; replaced atomically (write, fsync, rename).

A crash in the middle of an append leaves at most one torn last line, which is
cut off when the spool is opened again. When the segments together exceed the
size limit, whole segments are dropped, oldest first, and the loss is logged
as an error: the newest readings matter most for heating a house.
"""
from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.api_client import ApiRejected, ApiUnavailable

log = logging.getLogger(__name__)

_SEGMENT = re.compile(r"^seg-(\d{12})\.jsonl$")


class SpoolInUse(RuntimeError):
    """Another running process has this spool open: two writers would corrupt it."""


# Spool folders this process holds, with their open lock files. A POSIX record
# lock belongs to the process and ends when any descriptor of the file is
# closed, so each lock file stays open until the process exits.
_HELD: dict[Path, Any] = {}
_HELD_LOCK = threading.Lock()


def _hold_for_this_process(directory: Path) -> None:
    """Refuses a spool folder that another running process holds (say, two readers given one folder)."""
    key = directory.resolve()
    with _HELD_LOCK:
        if key in _HELD:
            return
        lock_file = open(key / "lock", "a+b")
        try:
            fcntl.lockf(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock_file.close()
            raise SpoolInUse(f"the spool {directory} is in use by another running process; "
                             "give each reader its own HEATING_SPOOL_DIR") from exc
        _HELD[key] = lock_file


@atexit.register
def _release_all() -> None:
    with _HELD_LOCK:
        for lock_file in _HELD.values():
            lock_file.close()
        _HELD.clear()


@dataclass(frozen=True)
class SpoolPosition:
    """Where the next undelivered record starts."""

    segment: int
    offset: int


@dataclass(frozen=True)
class SpoolBatch:
    records: list[dict[str, Any]]
    #: Pass to ``Spool.commit`` once the records are delivered.
    end: SpoolPosition


class Spool:
    """Records are delivered in the order they were appended; none is delivered twice
    unless the process dies between delivering and committing (the API's writes are
    idempotent, so a replay is harmless)."""

    def __init__(self, directory: str | os.PathLike, max_bytes: int, segment_bytes: int | None = None,
                 label: str = "readings"):
        if max_bytes <= 0:
            raise ValueError("spool size limit must be positive")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        # Dropping happens a segment at a time: keep segments small next to the limit.
        self.segment_bytes = segment_bytes or max(4096, min(1 << 20, max_bytes // 8))
        self.label = label
        self.dropped_records = 0
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        _hold_for_this_process(self.directory)
        self._cursor_path = self.directory / "cursor.json"
        self._segments = self._list_segments()
        if not self._segments:
            self._segments = [1]
            self._segment_path(1).touch()
        self._repair_tail()
        self._cursor = self._load_cursor()

    # ------------------------------------------------------------------ public

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write records durably (fsync) before returning; drops the oldest segments if over the limit."""
        if not records:
            return
        data = "".join(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in records).encode()
        with self._lock:
            path = self._segment_path(self._segments[-1])
            if path.stat().st_size > 0 and path.stat().st_size + len(data) > self.segment_bytes:
                self._segments.append(self._segments[-1] + 1)
                path = self._segment_path(self._segments[-1])
            with open(path, "ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self._fsync_dir()
            self._enforce_limit()

    def peek(self, limit: int) -> SpoolBatch:
        """Up to ``limit`` of the oldest undelivered records, without removing them."""
        records: list[dict[str, Any]] = []
        with self._lock:
            segment, offset = self._cursor.segment, self._cursor.offset
            for number in [s for s in self._segments if s >= segment]:
                start = offset if number == segment else 0
                with open(self._segment_path(number), "rb") as handle:
                    handle.seek(start)
                    position = start
                    for line in handle:
                        if not line.endswith(b"\n"):
                            break  # an append in progress in another thread
                        position += len(line)
                        try:
                            records.append(json.loads(line))
                        except ValueError:
                            log.error("Spool %s: skipped an unreadable line in %s", self.label, handle.name)
                        if len(records) >= limit:
                            return SpoolBatch(records, SpoolPosition(number, position))
                segment, offset = number, position
            return SpoolBatch(records, SpoolPosition(segment, offset))

    def commit(self, end: SpoolPosition) -> None:
        """Mark everything before ``end`` as delivered and remove finished segments."""
        with self._lock:
            if (end.segment, end.offset) <= (self._cursor.segment, self._cursor.offset):
                return  # the records were dropped for space meanwhile, or already committed
            self._cursor = end
            self._save_cursor()
            for number in [s for s in self._segments if s < end.segment]:
                self._segment_path(number).unlink(missing_ok=True)
                self._segments.remove(number)

    def is_empty(self) -> bool:
        with self._lock:
            last = self._segments[-1]
            return (self._cursor.segment == last
                    and self._cursor.offset >= self._segment_path(last).stat().st_size)

    def size_bytes(self) -> int:
        with self._lock:
            return self._size_bytes()

    # ------------------------------------------------------------------ internals

    def _segment_path(self, number: int) -> Path:
        return self.directory / f"seg-{number:012d}.jsonl"

    def _list_segments(self) -> list[int]:
        return sorted(int(m.group(1)) for p in self.directory.iterdir() if (m := _SEGMENT.match(p.name)))

    def _size_bytes(self) -> int:
        return sum(self._segment_path(n).stat().st_size for n in self._segments)

    def _repair_tail(self) -> None:
        path = self._segment_path(self._segments[-1])
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            log.warning("Spool %s: cut off a record torn by a crash in %s (%d bytes)",
                        self.label, path.name, len(data) - keep)
            with open(path, "r+b") as handle:
                handle.truncate(keep)
                os.fsync(handle.fileno())

    def _load_cursor(self) -> SpoolPosition:
        first = SpoolPosition(self._segments[0], 0)
        try:
            raw = json.loads(self._cursor_path.read_text())
            cursor = SpoolPosition(int(raw["segment"]), int(raw["offset"]))
        except FileNotFoundError:
            return first
        except (ValueError, KeyError, TypeError):
            log.error("Spool %s: cursor file is unreadable; replaying from the oldest record "
                      "(the API ignores readings it already has)", self.label)
            return first
        if cursor.segment < self._segments[0]:
            return first
        return cursor

    def _save_cursor(self) -> None:
        temporary = self._cursor_path.with_suffix(".tmp")
        with open(temporary, "w") as handle:
            json.dump({"segment": self._cursor.segment, "offset": self._cursor.offset}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self._cursor_path)
        self._fsync_dir()

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _enforce_limit(self) -> None:
        while len(self._segments) > 1 and self._size_bytes() > self.max_bytes:
            oldest = self._segments[0]
            path = self._segment_path(oldest)
            start = self._cursor.offset if self._cursor.segment == oldest else 0
            undelivered = 0
            if self._cursor.segment <= oldest:
                with open(path, "rb") as handle:
                    handle.seek(start)
                    undelivered = sum(1 for _ in handle)
            path.unlink(missing_ok=True)
            self._segments.pop(0)
            self.dropped_records += undelivered
            if self._cursor.segment <= oldest:
                self._cursor = SpoolPosition(self._segments[0], 0)
                self._save_cursor()
            if undelivered:
                log.error(
                    "Spool %s is full (limit %.1f MB): dropped the %d oldest undelivered records to make room. "
                    "The API has been unreachable for a long time; check it, or raise the spool size limit.",
                    self.label, self.max_bytes / 1e6, undelivered)


class SpoolSender:
    """Delivers a spool's records, oldest first, in batches through ``send``.

    ``send(records)`` must raise ``ApiUnavailable`` when the receiver cannot be
    reached (the records stay and are tried again later) and ``ApiRejected`` when
    it refuses them. A refused batch is split until the refused records are found;
    those alone are dropped and logged. A refusal of credentials (401/403) drops
    nothing: that is a setting to fix, not bad data.
    """

    def __init__(self, spool: Spool, send, batch_size: int = 500, what: str = "readings"):
        self.spool = spool
        self.send = send
        self.batch_size = batch_size
        self.what = what
        self.delivered = 0
        self.rejected = 0
        self.reachable = True

    def submit(self, records: list[dict[str, Any]]) -> None:
        """Store records durably for delivery."""
        self.spool.append(records)

    def flush(self) -> bool:
        """Deliver everything spooled; True when the spool is empty afterwards."""
        while True:
            batch = self.spool.peek(self.batch_size)
            if not batch.records:
                return True
            try:
                self._deliver(batch.records)
            except ApiUnavailable as exc:
                if self.reachable:
                    log.warning("The API is unreachable (%s): %s are kept on disk in %s and sent in order "
                                "when it answers again.", exc, self.what, self.spool.directory)
                self.reachable = False
                return False
            except _CredentialsRefused as exc:
                if self.reachable:
                    log.error("The API refused this service's credentials (%s): check HEATING_SERVICE_TOKEN. "
                              "%s are kept on disk until it accepts them.", exc, self.what.capitalize())
                self.reachable = False
                return False
            if not self.reachable:
                log.info("The API answers again: sending the %s kept on disk.", self.what)
                self.reachable = True
            self.spool.commit(batch.end)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        try:
            self.send(records)
            self.delivered += len(records)
        except ApiRejected as exc:
            if exc.status in (401, 403):
                raise _CredentialsRefused(str(exc)) from exc
            if len(records) == 1:
                self.rejected += 1
                log.error("The API refused one of the %s and it is dropped (%s): %s",
                          self.what, exc, json.dumps(records[0], sort_keys=True))
                return
            middle = len(records) // 2
            self._deliver(records[:middle])
            self._deliver(records[middle:])


class _CredentialsRefused(Exception):
    pass
