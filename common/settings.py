"""The base of every service's settings object.

Each service defines one subclass with its own fields; all read the
environment (prefix ``HEATING_``) and an optional ``.env`` file, once, at
start-up. A bad value fails there with pydantic's message naming the key.
"""
from __future__ import annotations

from typing import ClassVar
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

    #: Secrets the service cannot run without (environment names, see secrets()).
    required_secrets: ClassVar[tuple[str, ...]] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def secrets(self) -> dict[str, str | None]:
        """The secrets among this service's settings, by environment name."""
        return {}

    def check_secrets(self) -> None:
        """Raises SecretError when a secret is empty or still the example value."""
        refuse_weak_secrets(self.secrets(), self.required_secrets)


#: Every secret in .env.example starts with this: a value that still does was
#: never changed, and anyone who has read the example knows it.
PLACEHOLDER = "change-me"


class SecretError(RuntimeError):
    """A service was started with a secret left empty or at its example value."""


def is_placeholder(value: str | None) -> bool:
    return value is not None and value.strip().lower().startswith(PLACEHOLDER)


def refuse_weak_secrets(values: dict[str, str | None], required: tuple[str, ...] = ()) -> None:
    """Raises SecretError naming every setting (``HEATING_...``) left at a placeholder, or empty.

    ``values`` maps the environment name to its value; names in ``required``
    must be set, the others may be unset (None) but not empty or a placeholder.
    """
    problems = []
    for name, value in values.items():
        if value is None and name not in required:
            continue
        if value is None or not value.strip():
            problems.append(f"{name} is empty or not set")
        elif is_placeholder(value):
            problems.append(f"{name} is still the example value {value!r}")
    if problems:
        raise SecretError("refusing to start: " + "; ".join(problems)
                          + " (set each to a long random value, e.g. from `openssl rand -hex 24`, in .env)")


def database_password(url: str) -> str | None:
    """The password in a libpq URL (HEATING_DB_PASSWORD in compose), or None."""
    import psycopg

    try:
        return psycopg.conninfo.conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        return None
