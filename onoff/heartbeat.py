"""The loop's heartbeat file, and the health check that reads it (`python -m onoff health`).

Each tick writes when it finished. The age is measured on the monotonic clock
when the check runs on the same boot as the loop (a container's health check
does), so a wall-clock step neither hides a hung loop nor kills a healthy one;
the wall time is the fall-back and what people read.
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger("onoff")

#: The loop counts as hung once its last tick is older than this many tick intervals.
STALE_TICKS = 3
#: ... but never sooner than this many seconds: on an accelerated clock one slow device call (timeouts
#: are up to 20 s) is longer than three intervals, and that is not a hang.
MIN_STALE_S = 120.0


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


class Heartbeat:
    def __init__(self, path: Path, interval_s: float):
        self.path = path
        self.interval_s = interval_s
        self._warned = False

    def beat(self) -> None:
        """Writes the time now; never raises (a full disk must not stop the heating)."""
        record = {"time": datetime.now(timezone.utc).isoformat(), "wall_s": time.time(),
                  "monotonic_s": time.monotonic(), "boot_id": _boot_id(), "pid": os.getpid(),
                  "interval_s": self.interval_s}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(json.dumps(record))
            os.replace(partial, self.path)  # the health check never reads half a file
            self._warned = False
        except OSError as exc:
            if not self._warned:
                log.warning("Cannot write the heartbeat file %s (%s); the health check will call the loop "
                            "hung although it runs", self.path, exc)
                self._warned = True


@dataclass
class Health:
    ok: bool
    message: str
    pid: int | None = None


def check(path: Path, interval_s: float) -> Health:
    """Whether the loop's last tick is younger than STALE_TICKS intervals (wall seconds)."""
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return Health(False, f"no heartbeat file {path}: the loop has not started, or HEATING_HEARTBEAT_FILE "
                             "differs between the loop and this check")
    except (OSError, ValueError) as exc:
        return Health(False, f"cannot read the heartbeat file {path}: {exc}")
    interval_s = float(record.get("interval_s") or interval_s)
    limit_s = max(STALE_TICKS * interval_s, MIN_STALE_S)
    if record.get("boot_id") and record.get("boot_id") == _boot_id() and "monotonic_s" in record:
        age_s = time.monotonic() - float(record["monotonic_s"])
    else:
        age_s = time.time() - float(record.get("wall_s", 0))
    pid = record.get("pid")
    if age_s > limit_s:
        return Health(False, f"the last tick was {age_s:.0f} s ago (at {record.get('time')}, pid {pid}); more "
                             f"than {limit_s:.0f} s ({STALE_TICKS} tick intervals): the loop is stuck", pid)
    return Health(True, f"the last tick was {max(age_s, 0):.0f} s ago (pid {pid})", pid)


def kill_stuck(pid: int | None) -> str:
    """SIGKILLs the stuck loop so its container exits and the restart policy starts a new one."""
    import signal

    if not pid or pid == os.getpid():
        return "no process to stop"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"process {pid} no longer runs"
    if "onoff" not in command:
        return f"process {pid} is not the control loop ({command.strip()[:80]}); left alone"
    try:
        os.kill(pid, signal.SIGKILL)  # SIGTERM would wait for a tick that never ends; SIGKILL also ends SIGSTOP
    except OSError as exc:
        return f"could not stop process {pid}: {exc}"
    return f"killed the stuck loop (pid {pid}) so that it is restarted"
