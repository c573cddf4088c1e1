"""p1_reader.aggregator: every new gas reading, electricity once per interval."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from p1_reader.aggregator import MeterAggregator
from p1_reader.telegrams import MeterTelegram

T0 = datetime(2026, 1, 12, 5, 0, 0, tzinfo=timezone.utc)


def telegram(second: float, gas_m3: float | None = 4521.337, gas_minute: int = 0) -> MeterTelegram:
    return MeterTelegram(time=T0 + timedelta(seconds=second), delivered_t1_kwh=1234.5, power_delivered_kw=0.42,
                         gas_m3=gas_m3, gas_time=T0 + timedelta(minutes=gas_minute), gas_meter_id="4730303339303031")


def test_gas_once_per_meter_reading_and_electricity_once_per_interval():
    agg = MeterAggregator(electricity_interval_s=60)
    out = []
    for second in range(0, 600, 10):  # a DSMR 4 meter: a telegram every 10 s, gas every 5 min here
        gas_m3 = [4521.337, 4521.347][second // 300]
        out += agg.offer(telegram(second, gas_m3, gas_minute=(second // 300) * 5), T0)
    gas = [r for r in out if r["kind"] == "gas"]
    power = [r for r in out if r["kind"] == "electricity"]
    assert gas == [
        {"kind": "gas", "time": "2026-01-12T05:00:00Z", "gas_m3": 4521.337, "meter_id": "4730303339303031"},
        {"kind": "gas", "time": "2026-01-12T05:05:00Z", "gas_m3": 4521.347, "meter_id": "4730303339303031"},
    ]
    assert [r["time"] for r in power] == [f"2026-01-12T05:{m:02d}:00Z" for m in range(10)]
    assert power[0] == {"kind": "electricity", "time": "2026-01-12T05:00:00Z", "delivered_t1_kwh": 1234.5,
                        "power_delivered_kw": 0.42}


def test_a_telegram_without_time_uses_the_clock():
    agg = MeterAggregator(electricity_interval_s=60)
    untimed = MeterTelegram(time=None, delivered_t1_kwh=1.0)
    assert agg.offer(untimed, T0)[0]["time"] == "2026-01-12T05:00:00Z"
    assert agg.offer(untimed, T0 + timedelta(seconds=30)) == []


def test_no_gas_no_gas_record():
    agg = MeterAggregator(electricity_interval_s=60)
    assert [r["kind"] for r in agg.offer(telegram(0, gas_m3=None), T0)] == ["electricity"]


def test_gas_without_a_usable_stamp_is_kept_with_the_telegrams_time():
    agg = MeterAggregator(electricity_interval_s=60)
    out = []
    for second, gas_m3 in ((0, 10.0), (10, 10.0), (20, 10.5), (30, 10.5), (70, 10.5)):
        unstamped = MeterTelegram(time=T0 + timedelta(seconds=second), gas_m3=gas_m3, gas_time=None,
                                  gas_time_unusable=True)
        out += agg.offer(unstamped, T0)
    # When the value changes, and otherwise once per interval: never dropped, never every telegram.
    assert out == [{"kind": "gas", "time": "2026-01-12T05:00:00Z", "gas_m3": 10.0},
                   {"kind": "gas", "time": "2026-01-12T05:00:20Z", "gas_m3": 10.5},
                   {"kind": "gas", "time": "2026-01-12T05:01:10Z", "gas_m3": 10.5}]
