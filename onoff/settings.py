"""The control loop's deployment settings (environment, prefix HEATING_, or .env)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from common.settings import ServiceSettings
from onoff.config import ControlConfig


class OnoffSettings(ServiceSettings):
    #: Base URL of controller_api, e.g. http://api:8000
    api_url: str = "http://127.0.0.1:8000"
    #: Bearer token for the API's writes (HEATING_SERVICE_TOKEN on the API side).
    service_token: str | None = None
    #: nefit-easy-http-server's base URL; unset: the loop does not drive a boiler.
    nefit_url: str | None = "http://127.0.0.1:3000"
    #: Control strategy by name (see onoff.strategies): zoning, zoning-preheat.
    strategy: str = "zoning"
    #: Seconds (of simulated time, when the clock is simulated) between ticks.
    tick_s: float = Field(60.0, ge=5, le=3600)
    #: Where the weather forecast is for (Open-Meteo); unset: no forecast (smart heat never waits).
    latitude: float | None = Field(52.37, ge=-90, le=90)
    longitude: float | None = Field(4.89, ge=-180, le=180)
    #: Open-Meteo's forecast endpoint and how long a forecast is reused, in seconds.
    weather_url: str = "https://api.open-meteo.com/v1/forecast"
    weather_refresh_s: float = Field(3600.0, ge=60)
    #: Optional file the forecast is cached in, so a restart without network still has one.
    weather_cache_path: str | None = None
    #: Timeouts of one call, seconds.
    api_timeout_s: float = Field(10.0, gt=0, le=120)
    bridge_timeout_s: float = Field(15.0, gt=0, le=120)
    nefit_timeout_s: float = Field(20.0, gt=0, le=120)
    weather_timeout_s: float = Field(10.0, gt=0, le=120)
    #: Retry back-off for a failing valve or boiler: first wait, doubling up to the maximum, seconds.
    retry_initial_s: float = Field(60.0, gt=0)
    retry_max_s: float = Field(900.0, gt=0)
    #: After this many ticks in a row without a status from the API, valves go back to their own
    #: week program and the boiler to its clock program until the API answers again.
    api_down_ticks: int = Field(5, ge=1)
    #: Without a spool directory: records (states, decisions) kept in memory while the API is
    #: down; beyond this the oldest are dropped.
    record_queue_max: int = Field(10000, ge=100)
    #: Directory where records wait on disk until the API stored them (survives restarts).
    spool_dir: str | None = None
    #: Size limit of that spool, bytes.
    spool_max_bytes: int = Field(20_000_000, ge=100_000)
    #: The boiler's override setpoint: heat = its sensor + BOILER_HEAT_MARGIN_K, at most its
    #: program's setpoint + BOILER_MAX_ABOVE_PROGRAM_K; stop = its sensor - BOILER_STOP_MARGIN_K.
    boiler_heat_margin_k: float = Field(1.5, ge=0.5, le=5)
    boiler_stop_margin_k: float = Field(1.0, ge=0.5, le=5)
    boiler_max_above_program_k: float = Field(2.0, ge=0, le=10)
    #: A valve not heard from for this long is read back: how soon a valve turned by hand is put
    #: right, against a Bluetooth connection each time (docs/control.md).
    valve_check_min: float = Field(9.0, ge=5, le=240)
    #: Rule parameters (docs/control.md), minutes and kelvin.
    min_open_min: float = Field(20.0, ge=0, le=120)
    min_closed_min: float = Field(20.0, ge=0, le=120)
    boiler_open_delay_min: float = Field(2.5, ge=0, le=30)
    boiler_min_burn_min: float = Field(10.0, ge=0, le=60)
    boiler_min_pause_min: float = Field(5.0, ge=0, le=60)
    window_drop_k: float = Field(1.0, gt=0, le=10)
    window_close_min: float = Field(20.0, ge=1, le=120)
    #: How long a window contact reported open keeps the room's valves shut, minutes.
    window_contact_max_min: float = Field(120.0, ge=1, le=1440)
    #: How long the controller lease lasts without a renewal, seconds (simulated, like TICK_S); every
    #: tick renews it. Unset: 3 ticks. A second loop can take the house only once this ran out.
    lease_ttl_s: float | None = Field(None, ge=10, le=86_400)
    #: File each tick writes its time to, read by `python -m onoff health`. Unset: "heartbeat" in
    #: SPOOL_DIR, else in the temporary directory.
    heartbeat_file: str | None = None

    required_secrets = ("HEATING_SERVICE_TOKEN",)

    def secrets(self) -> dict[str, str | None]:
        return {"HEATING_SERVICE_TOKEN": self.service_token}

    @field_validator("nefit_url", "latitude", "longitude", "weather_cache_path", "spool_dir", "service_token",
                     "lease_ttl_s", "heartbeat_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        # HEATING_NEFIT_URL= (empty) in a .env or compose file means "none", not an invalid value.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from onoff.strategies import names

        if value not in names():
            raise ValueError(f"unknown strategy {value!r}; choose one of {', '.join(names())}")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_tick(self):
        if self.lease_ttl_s is not None and self.lease_ttl_s < 2 * self.tick_s:
            # Shorter, and a tick that runs a little long lets the lease lapse under a running loop.
            raise ValueError(f"lease_ttl_s: must be at least 2 ticks ({2 * self.tick_s:g} s with tick_s "
                             f"{self.tick_s:g})")
        return self

    @property
    def lease_ttl(self) -> float:
        """The lease's term in (simulated) seconds."""
        return self.lease_ttl_s if self.lease_ttl_s is not None else 3 * self.tick_s

    @property
    def heartbeat_path(self) -> Path:
        if self.heartbeat_file:
            return Path(self.heartbeat_file)
        if self.spool_dir:
            # The spool folder belongs to this one process (it is locked), so its heartbeat cannot be
            # another loop's.
            return Path(self.spool_dir) / "heartbeat"
        return Path(tempfile.gettempdir()) / "heating-onoff-heartbeat"

    @property
    def tick_wall_s(self) -> float:
        """Wall-clock seconds between ticks (tick_s is simulated seconds when the clock is simulated)."""
        return self.tick_s / self.clock_speed if self.clock_start else self.tick_s

    def control_config(self) -> ControlConfig:
        return ControlConfig(
            tz=self.tz,
            min_open_s=self.min_open_min * 60, min_closed_s=self.min_closed_min * 60,
            boiler_open_delay_s=self.boiler_open_delay_min * 60,
            boiler_min_burn_s=self.boiler_min_burn_min * 60, boiler_min_pause_s=self.boiler_min_pause_min * 60,
            window_drop_k=self.window_drop_k, window_close_s=self.window_close_min * 60,
            contact_max_open_s=self.window_contact_max_min * 60,
            boiler_heat_margin_k=self.boiler_heat_margin_k, boiler_stop_margin_k=self.boiler_stop_margin_k,
            boiler_max_above_program_k=self.boiler_max_above_program_k,
            valve_check_s=self.valve_check_min * 60,
        )
