"""Request bodies and query parameters, validated with pydantic v2.

Every model forbids unknown fields, so a typo in a field name is a 422 naming
it rather than a silently ignored value.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

_MAC = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


def _mac(value: str) -> str:
    value = value.strip().upper().replace("-", ":")
    if not _MAC.match(value):
        raise ValueError("a MAC address is six hex pairs, e.g. A4:C1:38:11:22:33")
    return value


#: Instants outside these years mean nothing to a heating system, and near the
#: ends of Python's calendar (0001, 9999) arithmetic on them overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
#: What a device measured lies in this window around now: a reader's spool may
#: hold a long outage's readings, but nothing is measured in the future beyond
#: a clock's drift.
MEASURED_BACK = timedelta(days=400)
MEASURED_AHEAD = timedelta(hours=1)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-01-12T06:00:00+01:00 or ...Z")
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


def _day(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


def _now() -> datetime:
    from flask import current_app, has_app_context

    if has_app_context() and "clock" in current_app.extensions:
        return current_app.extensions["clock"].now()  # the demo's clock may be simulated
    return datetime.now(timezone.utc)


def _measured(value: datetime) -> datetime:
    now = _now()
    if value > now + MEASURED_AHEAD:
        raise ValueError(f"lies in the future (now is {now.isoformat(timespec='seconds')}); is the device's clock set?")
    if value < now - MEASURED_BACK:
        raise ValueError(f"more than {MEASURED_BACK.days} days ago; is the device's clock set?")
    return value


Mac = Annotated[str, Field(pattern=r"^\s*[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}\s*$",
                           examples=["A4:C1:38:11:22:33"]), AfterValidator(_mac)]
Instant = Annotated[datetime, AfterValidator(_aware)]
#: When a device measured or reported something: within a window around now.
Measured = Annotated[datetime, AfterValidator(_aware), AfterValidator(_measured)]
Day = Annotated[date, AfterValidator(_day)]
Name = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(str.strip)]
RoomTemp = Annotated[float, Field(ge=5, le=30, multiple_of=0.5, description="°C in steps of 0.5")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Rooms ---------------------------------------------------------------------

class RoomFields(Model):
    sort_order: int = Field(default=0, ge=-1000, le=1000)
    default_temp_c: RoomTemp = 18.0
    frost_temp_c: float = Field(default=7.0, ge=4.5, le=15)
    hysteresis_k: float = Field(default=0.3, ge=0, le=3)
    offset_k: float = Field(default=0.0, ge=-5, le=5)
    smart_heat: bool = False
    control: Literal["auto", "manual"] = "auto"


class RoomCreate(RoomFields):
    name: Name


class RoomPatch(Model):
    name: Name | None = None
    sort_order: int | None = Field(default=None, ge=-1000, le=1000)
    default_temp_c: RoomTemp | None = None
    frost_temp_c: float | None = Field(default=None, ge=4.5, le=15)
    hysteresis_k: float | None = Field(default=None, ge=0, le=3)
    offset_k: float | None = Field(default=None, ge=-5, le=5)
    smart_heat: bool | None = None
    control: Literal["auto", "manual"] | None = None


# Devices -------------------------------------------------------------------

ThermometerFormat = Literal["auto", "atc1441", "pvvx", "bthome", "mibeacon"]


def _bind_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{32}", value):
        raise ValueError("a bind key is 32 hex digits (16 bytes)")
    return value


BindKey = Annotated[str | None, Field(pattern=r"^\s*[0-9A-Fa-f]{32}\s*$"), AfterValidator(_bind_key)]


class ThermometerCreate(Model):
    mac: Mac
    room_id: int | None = None
    format: ThermometerFormat = "auto"
    bind_key: BindKey = None
    name: str | None = Field(default=None, max_length=60)


class ThermometerPatch(Model):
    mac: Mac | None = None
    room_id: int | None = None
    format: ThermometerFormat | None = None
    bind_key: BindKey = None
    name: str | None = Field(default=None, max_length=60)


def _bridge_token(value: str | None) -> str | None:
    if value is not None and value.lower().startswith("change-me"):
        raise ValueError("is still the example value; use the bridge's own token")
    return value


#: What the control loop sends as "Authorization: Bearer <token>" (docs/bridge-api.md); write-only.
BridgeToken = Annotated[str | None, Field(default=None, min_length=16, max_length=200, pattern=r"^[!-~]+$",
                                          description="the bridge's token; never shown again"),
                        AfterValidator(_bridge_token)]


class BridgeCreate(Model):
    name: Name
    kind: Literal["pi", "esp32", "simulated"] = "esp32"
    base_url: str = Field(max_length=200, pattern=r"^https?://[^/\s]+(/\S*)?$")
    token: BridgeToken = None

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


class BridgePatch(Model):
    name: Name | None = None
    kind: Literal["pi", "esp32", "simulated"] | None = None
    base_url: str | None = Field(default=None, max_length=200, pattern=r"^https?://[^/\s]+(/\S*)?$")
    token: BridgeToken = None


class ValveCreate(Model):
    mac: Mac
    room_id: int
    bridge_id: int
    name: str | None = Field(default=None, max_length=60)
    radiator_power_w: int = Field(default=1000, ge=50, le=10000)


class ValvePatch(Model):
    mac: Mac | None = None
    room_id: int | None = None
    bridge_id: int | None = None
    name: str | None = Field(default=None, max_length=60)
    radiator_power_w: int | None = Field(default=None, ge=50, le=10000)


# Schedule, override, mode ---------------------------------------------------

def _hhmm(value: str) -> time:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("time is HH:MM, 00:00 to 23:59")
    return time(int(value[:2]), int(value[3:]))


class SwitchPointIn(Model):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$"), AfterValidator(_hhmm)] = Field(
        description="HH:MM local wall-clock time")
    temperature_c: RoomTemp


MAX_SWITCH_POINTS_PER_DAY = 12


class ScheduleIn(Model):
    switch_points: list[SwitchPointIn] = Field(max_length=7 * MAX_SWITCH_POINTS_PER_DAY)

    @field_validator("switch_points")
    @classmethod
    def _distinct(cls, points: list[SwitchPointIn]) -> list[SwitchPointIn]:
        seen: set[tuple[int, Any]] = set()
        per_day: dict[int, int] = {}
        for point in points:
            key = (point.weekday, point.time)
            if key in seen:
                raise ValueError(f"two switch points on weekday {point.weekday} at {point.time:%H:%M}")
            seen.add(key)
            per_day[point.weekday] = per_day.get(point.weekday, 0) + 1
            if per_day[point.weekday] > MAX_SWITCH_POINTS_PER_DAY:
                raise ValueError(f"more than {MAX_SWITCH_POINTS_PER_DAY} switch points on weekday {point.weekday}")
        return points


class OverrideIn(Model):
    temperature_c: RoomTemp
    until: Instant | Literal["next_switch", "cancelled"] = Field(
        description='an instant with a UTC offset, "next_switch", or "cancelled" (until it is ended by hand)')


class BoostIn(Model):
    minutes: int = Field(default=20, ge=1, le=240)


class ModeIn(Model):
    mode: Literal["home", "away", "holiday", "summer"]
    away_temp_c: RoomTemp | None = None
    holiday_temp_c: RoomTemp | None = None
    holiday_until: Instant | Day | None = Field(
        default=None, description="an instant, or a date (the start of that day in the home's time zone)")
    holiday_from: Instant | Day | None = Field(
        default=None, description="a holiday planned ahead starts here (an instant or a date); none: now")

    @model_validator(mode="after")
    def _holiday_needs_end(self) -> "ModeIn":
        if self.mode == "holiday" and self.holiday_until is None:
            raise ValueError("holiday_until: a holiday needs an end date")
        return self


# Ingest from services ---------------------------------------------------------

class ReadingIn(Model):
    mac: Mac
    time: Measured
    temperature_c: float | None = Field(default=None, ge=-40, le=85)
    humidity_pct: float | None = Field(default=None, ge=0, le=100)
    battery_pct: int | None = Field(default=None, ge=0, le=100)
    voltage_v: float | None = Field(default=None, ge=0, le=10)
    rssi_dbm: int | None = Field(default=None, ge=-127, le=20)
    format: str | None = Field(default=None, max_length=20)
    name: str | None = Field(default=None, max_length=60)
    encrypted: bool = False


class ReadingsIn(Model):
    readings: list[ReadingIn] = Field(max_length=1000)


class GasReadingIn(Model):
    time: Measured
    gas_m3: float = Field(ge=0, le=10_000_000)
    meter_id: str | None = Field(default=None, max_length=64)


class ElectricityReadingIn(Model):
    time: Measured
    delivered_t1_kwh: float | None = Field(default=None, ge=0)
    delivered_t2_kwh: float | None = Field(default=None, ge=0)
    returned_t1_kwh: float | None = Field(default=None, ge=0)
    returned_t2_kwh: float | None = Field(default=None, ge=0)
    power_delivered_kw: float | None = Field(default=None, ge=0, le=100)
    power_returned_kw: float | None = Field(default=None, ge=0, le=100)


class MeterReadingsIn(Model):
    gas: list[GasReadingIn] = Field(default_factory=list, max_length=5000)
    electricity: list[ElectricityReadingIn] = Field(default_factory=list, max_length=5000)


class ValveStateIn(Model):
    time: Measured
    state: Literal["open", "closed", "target", "unknown"]
    target_c: float | None = Field(default=None, ge=4.5, le=30)
    valve_pct: int | None = Field(default=None, ge=0, le=100)
    mode: str | None = Field(default=None, max_length=20)
    #: When the state ends on the valve by itself (its away end, as it reported it).
    until: Instant | None = None
    reason: str | None = Field(default=None, max_length=500)
    #: The valve's own "battery low" flag as it reported it; null: it did not say.
    low_battery: bool | None = None


class BoilerStateIn(Model):
    time: Measured
    heat_demand: bool
    user_mode: Literal["manual", "clock"] | None = None
    setpoint_c: float | None = Field(default=None, ge=0, le=90)
    indicator: Literal["central heating", "hot water", "off"] | None = None
    reason: str | None = Field(default=None, max_length=500)


class ForecastHourIn(Model):
    time: Instant
    temperature_c: float | None = Field(default=None, ge=-60, le=60)


class WeatherIn(Model):
    time: Instant
    outdoor_temp_c: float | None = Field(default=None, ge=-60, le=60)
    forecast: list[ForecastHourIn] = Field(default_factory=list, max_length=72)


class TargetIn(Model):
    room_id: int
    time: Instant
    target_c: float = Field(ge=0, le=40)
    source: Literal["schedule", "override", "boost", "away", "holiday", "summer", "frost", "default"]
    reason: str | None = Field(default=None, max_length=300)


class TargetsIn(Model):
    targets: list[TargetIn] = Field(min_length=1, max_length=1000)


class DecisionIn(Model):
    time: Measured
    room_id: int | None = None
    strategy: str = Field(min_length=1, max_length=40)
    inputs: dict[str, Any] = Field(default_factory=dict)
    outcome: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=1000)


class DecisionsIn(Model):
    decisions: list[DecisionIn] = Field(min_length=1, max_length=1000)


# Inputs from the home ----------------------------------------------------------

Source = Annotated[str, Field(min_length=1, max_length=40, description="who reported it, e.g. mqtt")]


class ContactIn(Model):
    name: Name = Field(default="window", description="which window or door of the room")
    open: bool
    time: Measured | None = Field(default=None, description="when the contact reported; default now")
    source: Source = "api"


class PresenceIn(Model):
    person: Name
    home: bool
    time: Measured | None = Field(default=None, description="when the sensor reported; default now")
    source: Source = "api"


class OutdoorReadingIn(Model):
    temperature_c: float = Field(ge=-60, le=60)
    time: Measured | None = Field(default=None, description="when it was measured; default now")
    source: Source = "api"


# Queries -------------------------------------------------------------------

class AtQuery(Model):
    at: Instant | None = None


class RangeQuery(Model):
    from_: Instant | None = Field(default=None, alias="from")
    to: Instant | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> "RangeQuery":
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("to: must be after from")
        return self


class DecisionsQuery(RangeQuery):
    room_id: int | None = None
    limit: int = Field(default=500, ge=1, le=5000)


# Settings ------------------------------------------------------------------

def _apprise_url(value: str) -> str:
    from controller_api.notify import accepts  # imports Apprise only when a URL is checked

    value = value.strip()
    if not accepts(value):
        raise ValueError(f"Apprise does not accept {value!r} (see https://github.com/caronc/apprise/wiki "
                         "for the URL of each service, e.g. ntfy://my-topic)")
    return value


AppriseUrl = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_apprise_url)]
MAX_NOTIFY_URLS = 10

class HouseholdSettings(Model):
    """Settings people change from the page; stored in the settings table."""

    stale_after_min: int = Field(default=15, ge=2, le=240,
                                 description="a room's reading older than this is stale (minutes)")
    gas_price_per_m3: float = Field(default=1.45, ge=0, le=20, description="price of gas per m³")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    gas_kwh_per_m3: float = Field(default=9.769, ge=5, le=15,
                                  description="energy content of the gas (upper value), kWh per m³")
    # Checked by Apprise only when changed (HouseholdSettingsPatch): a stored URL that a newer
    # Apprise refuses must not break every status request.
    notify_urls: list[str] = Field(default_factory=list, max_length=MAX_NOTIFY_URLS,
                                   description="Apprise URLs problems are sent to (ntfy, Telegram, e-mail, ...)")


class HouseholdSettingsPatch(Model):
    stale_after_min: int | None = Field(default=None, ge=2, le=240)
    gas_price_per_m3: float | None = Field(default=None, ge=0, le=20)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    gas_kwh_per_m3: float | None = Field(default=None, ge=5, le=15)
    notify_urls: list[AppriseUrl] | None = Field(default=None, max_length=MAX_NOTIFY_URLS)


class LoginIn(Model):
    password: str = Field(min_length=1, max_length=200)
