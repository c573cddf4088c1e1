"""The base of every service's settings object.

Each service defines one subclass with its own fields; all read the
environment (prefix ``HEATING_``) and an optional ``.env`` file, once, at
start-up. A bad value fails there with pydantic's message naming the key.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HEATING_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    #: The home's time zone: schedules are wall-clock times in it.
    tz: str = "Europe/Amsterdam"
    #: Simulated-time clock for the demo and end-to-end tests (see common.clock);
    #: leave unset on a real house.
    clock_start: str | None = None
    clock_epoch: float | None = None
    clock_speed: float = 1.0
    log_level: str = "INFO"

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use a name such as Europe/Amsterdam)") from exc
        return value

    @field_validator("clock_speed")
    @classmethod
    def _positive_speed(cls, value: float) -> float:
        if not 0 < value <= 10_000:
            raise ValueError("clock_speed must be between 0 (exclusive) and 10000")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)
