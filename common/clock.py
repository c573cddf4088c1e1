"""One notion of "now" for every service.

On a real house this is the wall clock. For the demo and the end-to-end tests
the simulated house may run faster than real time; then every service is
started with the same three settings and computes the same simulated instant:

    now = HEATING_CLOCK_START + (wall time - HEATING_CLOCK_EPOCH) * HEATING_CLOCK_SPEED

so the API's targets, onoff's ticks, the readers' timestamps and the house
agree without talking to each other.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

@dataclass(frozen=True)
class Clock:
    start: datetime | None = None
    epoch: float | None = None
    speed: float = 1.0

    @classmethod
    def from_settings(cls, settings) -> "Clock":
        if settings.clock_start is None:
            return cls(speed=1.0)
        start = datetime.fromisoformat(settings.clock_start)
        if start.tzinfo is None:
            raise ValueError("HEATING_CLOCK_START needs a UTC offset, e.g. 2026-01-12T05:00:00+01:00")
        epoch = settings.clock_epoch if settings.clock_epoch is not None else time.time()
        return cls(start=start.astimezone(timezone.utc), epoch=epoch, speed=settings.clock_speed)

    @property
    def simulated(self) -> bool:
        return self.start is not None

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        if self.start is None:
            return datetime.now(timezone.utc)

        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.speed)

    def wall_seconds(self, simulated_seconds: float) -> float:
        """How long simulated_seconds take on the wall clock."""
        return simulated_seconds / self.speed

    def sleep(self, simulated_seconds: float) -> None:
        time.sleep(self.wall_seconds(simulated_seconds))
