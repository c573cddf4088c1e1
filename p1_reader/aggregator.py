"""Which meter values to keep: every new gas reading, electricity once per interval.

A gas value whose own time stamp is unusable is kept with the telegram's time
(the moment the meter passed it on): when it changes, and otherwise once per
electricity interval, so a meter in that state is neither dropped nor stored
every ten seconds.

Pure: records are dicts of the API's shape (docs/api.md, POST /api/meter-readings)
with a ``kind`` of ``gas`` or ``electricity``.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

from p1_reader.telegrams import MeterTelegram

_ELECTRICITY_FIELDS = ("delivered_t1_kwh", "delivered_t2_kwh", "returned_t1_kwh", "returned_t2_kwh",
                       "power_delivered_kw", "power_returned_kw")


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gas_record(telegram: MeterTelegram, moment: datetime) -> dict:
    record = {"kind": "gas", "time": iso_utc(moment), "gas_m3": telegram.gas_m3}
    if telegram.gas_meter_id:
        record["meter_id"] = telegram.gas_meter_id[:64]
    return record


class MeterAggregator:
    def __init__(self, electricity_interval_s: float):
        self.electricity_interval_s = electricity_interval_s
        self._last_gas: tuple[datetime, float] | None = None
        self._last_bucket: int | None = None
        self._last_unstamped: tuple[int, float] | None = None

    def offer(self, telegram: MeterTelegram, now: datetime) -> list[dict]:
        """The records this telegram adds: a gas reading when the gas meter has a new one
        (DSMR 4: hourly, DSMR 5: every 5 minutes), electricity for the first telegram of each interval."""
        records: list[dict] = []
        if telegram.gas_m3 is not None and telegram.gas_time is not None:
            current = (telegram.gas_time, telegram.gas_m3)
            if current != self._last_gas:
                self._last_gas = current
                records.append(_gas_record(telegram, telegram.gas_time))
        moment = telegram.time or now
        if telegram.gas_m3 is not None and telegram.gas_time_unusable:
            current = (self._bucket(moment), telegram.gas_m3)
            if current != self._last_unstamped:
                self._last_unstamped = current
                records.append(_gas_record(telegram, moment))
        values = {name: getattr(telegram, name) for name in _ELECTRICITY_FIELDS
                  if getattr(telegram, name) is not None}
        if values:
            bucket = self._bucket(moment)
            if bucket != self._last_bucket:
                self._last_bucket = bucket
                records.append({"kind": "electricity", "time": iso_utc(moment), **values})
        return records

    def _bucket(self, moment: datetime) -> int:
        return math.floor(moment.timestamp() / self.electricity_interval_s)
