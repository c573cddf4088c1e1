"""DSMR telegrams to meter values: a thin, pure layer over dsmr_parser.

``TelegramStream`` cuts telegrams out of the bytes a P1 port delivers
(noise and half telegrams between them are skipped); ``parse_telegram`` turns
one telegram into a :class:`MeterTelegram` or raises :class:`TelegramError`.

The gas meter is found by its M-Bus device type (``0-n:24.1.0`` = 003), on any
channel n, so a water meter (007) or a heat meter beside it is never taken for
gas; Belgian meters report gas on ``24.2.3`` instead of ``24.2.1``. The
meter's own time stamps (``YYMMDDhhmmssX``, X = S summer / W winter time in
Europe/Amsterdam) become UTC. Some meters write the flag in lower case (a
Landis+Gyr DSMR 4 meter's gas stamp ends in ``s``); dsmr_parser refuses those
stamps, so they are read as their upper-case flag.

A gas value whose time stamp cannot be read at all (a meter's placeholder such
as ``632525252525S`` or a date in 1970/2000) keeps its value with
``gas_time = None`` and ``gas_time_unusable = True``: the aggregator records it
with the telegram's own time, and the reader counts and reports it, so it is
never dropped silently. A value without the unit m3 (``(00000000)``, what a
meter sends while it hears no gas meter) is no reading at all.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from dsmr_parser import telegram_specifications
from dsmr_parser.clients.telegram_buffer import TelegramBuffer
from dsmr_parser.exceptions import InvalidChecksumError, ParseError
from dsmr_parser.parsers import TelegramParser

#: M-Bus device types (EN 13757-3) a P1 port reports on 0-n:24.1.0.
MBUS_GAS = 3
MBUS_WATER = 7

#: HEATING_P1_DSMR_VERSION → dsmr_parser's telegram specification.
SPECIFICATIONS = {
    "2.2": telegram_specifications.V2_2,
    "3": telegram_specifications.V3,
    "4": telegram_specifications.V4,
    "5": telegram_specifications.V5,
    "5B": telegram_specifications.BELGIUM_FLUVIUS,
}

_MBUS_NAMES = ("MBUS_DEVICE_TYPE", "MBUS_EQUIPMENT_IDENTIFIER", "MBUS_VALVE_POSITION", "MBUS_METER_READING")


class TelegramError(ValueError):
    """A telegram that cannot be used."""


class BadChecksum(TelegramError):
    """The CRC at the end does not match the telegram (a transmission error): skip it."""


@dataclass(frozen=True)
class MeterTelegram:
    """What one telegram says; absent values are None."""

    time: datetime | None  # the telegram's time stamp (0-0:1.0.0), UTC
    delivered_t1_kwh: float | None = None
    delivered_t2_kwh: float | None = None
    returned_t1_kwh: float | None = None
    returned_t2_kwh: float | None = None
    power_delivered_kw: float | None = None
    power_returned_kw: float | None = None
    gas_m3: float | None = None
    gas_time: datetime | None = None  # the gas meter's own time stamp, UTC
    gas_meter_id: str | None = None
    gas_channel: int | None = None
    #: A gas value was there but its time stamp could not be read (see the module docstring).
    gas_time_unusable: bool = False

    def to_json(self) -> dict:
        out = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value
        return out


def specification(version: str) -> dict:
    """dsmr_parser's specification for a DSMR version, with every M-Bus channel's device type and
    reading added where the library's own specification leaves them out (DSMR 4)."""
    key = version.strip().upper()
    if key not in SPECIFICATIONS:
        raise ValueError(f"DSMR version {version!r} is not one of {', '.join(SPECIFICATIONS)}")
    spec = copy.copy(SPECIFICATIONS[key])
    spec["objects"] = list(spec["objects"])
    present = {item["value_name"] for item in spec["objects"]}
    donors = {item["value_name"]: item for item in telegram_specifications.V5["objects"]}
    for name in _MBUS_NAMES:
        if name not in present and key not in ("2.2", "3"):
            spec["objects"].append(donors[name])
    return spec


class TelegramStream:
    """Cuts complete telegrams out of a byte stream; noise between them is dropped."""

    def __init__(self):
        self._buffer = TelegramBuffer()

    def feed(self, data: bytes) -> list[str]:
        # Telegrams are ASCII; a stray byte of line noise must not stop the stream.
        self._buffer.append(data.decode("ascii", errors="replace"))
        return list(self._buffer.get_all())


def _number(obj, scale_units: dict[str, float]) -> float | None:
    if obj is None:
        return None
    value = getattr(obj, "value", None)
    if not isinstance(value, (Decimal, int, float)):
        return None
    factor = scale_units.get((getattr(obj, "unit", None) or "").strip(), 1.0)
    return float(Decimal(value) * Decimal(str(factor)))


_ENERGY = {"kWh": 1.0, "Wh": 0.001}

# A time stamp (12 digits) closed by a lower-case DST flag; durations such as
# ``(0000237126*s)`` carry a ``*`` and never match.
_LOWER_CASE_DST = re.compile(r"\((\d{12})([sw])\)")
#: A meter's clock never set shows its factory default (1970 or 2000, local time): no DSMR meter
#: read anything before this.
_CLOCK_SET_FROM = datetime(2001, 1, 1, tzinfo=timezone.utc)


def _upper_case_dst(text: str) -> str:
    return _LOWER_CASE_DST.sub(lambda m: f"({m[1]}{m[2].upper()})", text)
_POWER = {"kW": 1.0, "W": 0.001}


def parse_telegram(text: str, spec: dict) -> MeterTelegram:
    """The meter values of one telegram (from ``/`` through the CRC line).

    Raises BadChecksum when the CRC does not match, TelegramError when the
    telegram cannot be parsed. Checks the CRC also when it lacks its leading zero.
    """
    try:
        if spec.get("checksum_support"):
            # The CRC covers the bytes as sent; the stamps are normalised only after it is checked.
            TelegramParser.validate_checksum(text)
        telegram = TelegramParser(spec, apply_checksum_validation=False).parse(_upper_case_dst(text))
    except InvalidChecksumError as exc:
        raise BadChecksum(str(exc)) from exc
    except ParseError as exc:
        raise TelegramError(str(exc)) from exc
    except (ValueError, TypeError, IndexError) as exc:
        raise TelegramError(f"unreadable telegram: {exc}") from exc

    def get(name: str):
        return getattr(telegram, name, None)

    timestamp = getattr(get("P1_MESSAGE_TIMESTAMP"), "value", None)
    if not isinstance(timestamp, datetime) or timestamp < _CLOCK_SET_FROM:
        timestamp = None  # the reader's own clock stands in (MeterAggregator.offer)
    gas_m3, gas_time, gas_id, gas_channel = _gas(telegram)
    if gas_time is not None and gas_time < _CLOCK_SET_FROM:
        gas_time = None
    return MeterTelegram(
        time=timestamp,
        delivered_t1_kwh=_number(get("ELECTRICITY_USED_TARIFF_1"), _ENERGY),
        delivered_t2_kwh=_number(get("ELECTRICITY_USED_TARIFF_2"), _ENERGY),
        returned_t1_kwh=_number(get("ELECTRICITY_DELIVERED_TARIFF_1"), _ENERGY),
        returned_t2_kwh=_number(get("ELECTRICITY_DELIVERED_TARIFF_2"), _ENERGY),
        power_delivered_kw=_number(get("CURRENT_ELECTRICITY_USAGE"), _POWER),
        power_returned_kw=_number(get("CURRENT_ELECTRICITY_DELIVERY"), _POWER),
        gas_m3=gas_m3, gas_time=gas_time, gas_meter_id=gas_id, gas_channel=gas_channel,
        gas_time_unusable=gas_m3 is not None and gas_time is None,
    )


def _gas(telegram) -> tuple[float | None, datetime | None, str | None, int | None]:
    """The gas meter's reading: the M-Bus device whose type is gas, on whichever channel."""
    for device in getattr(telegram, "MBUS_DEVICES", None) or []:
        device_type = getattr(getattr(device, "MBUS_DEVICE_TYPE", None), "value", None)
        if device_type != MBUS_GAS:
            continue
        reading = getattr(device, "MBUS_METER_READING", None)
        if reading is None or (reading.unit or "").lower() not in ("m3", "m³"):
            continue
        identifier = getattr(getattr(device, "MBUS_EQUIPMENT_IDENTIFIER", None), "value", None)
        gas_time = reading.datetime if isinstance(reading.datetime, datetime) else None
        return float(reading.value), gas_time, identifier or None, int(device.channel_id)
    # DSMR 2.2 and 3: the gas reading on 24.3.0, the device type on its own line.
    legacy = getattr(telegram, "GAS_METER_READING", None)
    device_type = getattr(getattr(telegram, "DEVICE_TYPE", None), "value", None)
    if legacy is not None and device_type in (None, MBUS_GAS, str(MBUS_GAS), "03", "003"):
        value = getattr(legacy, "value", None)
        if isinstance(value, (Decimal, int, float)):
            gas_time = getattr(legacy, "datetime", None)
            identifier = getattr(getattr(telegram, "EQUIPMENT_IDENTIFIER_GAS", None), "value", None)
            return float(value), gas_time if isinstance(gas_time, datetime) else None, identifier or None, 1
    return None, None, None, None
