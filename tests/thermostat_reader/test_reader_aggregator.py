"""thermostat_reader.aggregator: one reading per thermometer and interval, the newest, no repeats."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from protocols.lywsd03mmc import decode, encode_pvvx
from thermostat_reader.aggregator import Aggregator, iso_utc

MAC = "A4:C1:38:02:83:F4"
OTHER = "A4:C1:38:8D:18:B2"
T0 = datetime(2026, 1, 12, 5, 0, 0, tzinfo=timezone.utc)


def pvvx(temp_c: float, counter: int, mac: str = MAC):
    return decode("181a", encode_pvvx(mac, temp_c, 45.0, 2950, 80, counter))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_keeps_the_newest_value_of_each_interval():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    agg.set_known({MAC})
    for i, second in enumerate([1, 10, 20, 59]):
        assert agg.offer(MAC, pvvx(20 + i / 10, i), at(second), rssi_dbm=-70)
    assert agg.take_due(at(59.9)) == []  # the interval is still open
    out = agg.take_due(at(60))
    assert [(r["time"], r["temperature_c"]) for r in out] == [(iso_utc(at(59)), 20.3)]
    assert out[0] == {"mac": MAC, "time": "2026-01-12T05:00:59.000Z", "temperature_c": 20.3, "humidity_pct": 45.0,
                      "battery_pct": 80, "voltage_v": 2.95, "rssi_dbm": -70, "format": "pvvx", "encrypted": False}


def test_one_reading_per_interval_across_many_intervals():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    agg.set_known({MAC})
    for n in range(600):  # an advert every 6 s for an hour
        agg.offer(MAC, pvvx(20 + n / 100, n % 256), at(n * 6))
    out = agg.take_due(at(3600)) + agg.take_all()
    assert len(out) == 60
    times = [r["time"] for r in out]
    assert times == sorted(times) and len(set(times)) == 60
    assert out[-1]["temperature_c"] == 25.99


def test_repeats_of_one_packet_are_dropped():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    reading = pvvx(21.0, 7)
    assert agg.offer(MAC, reading, at(1))
    assert not agg.offer(MAC, reading, at(2))
    assert not agg.offer(MAC, reading, at(3))
    assert agg.stats.duplicates == 2
    # The repeat did not move the reading's time.
    assert agg.take_all()[0]["time"] == iso_utc(at(1))
    # After the duplicate window a sensor stuck on one packet id is heard again.
    assert agg.offer(MAC, reading, at(1 + agg.duplicate_window_s))


def test_unknown_thermometers_are_rate_limited_more():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    agg.set_known({MAC})
    for n in range(60):
        agg.offer(MAC, pvvx(20, n), at(n * 10))
        agg.offer(OTHER, pvvx(18, n, OTHER), at(n * 10))
    out = agg.take_due(at(600))
    assert sum(r["mac"] == MAC for r in out) == 10
    assert sum(r["mac"] == OTHER for r in out) == 2


def test_an_undecodable_encrypted_thermometer_is_reported_without_values():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    agg.offer(OTHER, None, at(5), rssi_dbm=-80, name="LYWSD03MMC", format_name="mibeacon", encrypted=True)
    assert agg.take_due(at(300)) == [{"mac": OTHER, "time": iso_utc(at(5)), "encrypted": True, "format": "mibeacon",
                                      "rssi_dbm": -80, "name": "LYWSD03MMC"}]


def test_values_the_api_cannot_store_are_left_out():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    wild = decode("181a", encode_pvvx(MAC, 99.0, 45.0, 2950, 80, 1))
    agg.offer(MAC, wild, at(1), rssi_dbm=-200)
    record = agg.take_all()[0]
    assert "temperature_c" not in record and "rssi_dbm" not in record and record["humidity_pct"] == 45.0


def test_take_all_flushes_open_intervals():
    agg = Aggregator(interval_s=60, unknown_interval_s=300)
    agg.offer(MAC, pvvx(20, 1), at(1))
    agg.offer(OTHER, pvvx(19, 1, OTHER), at(2))
    assert [r["mac"] for r in agg.take_all()] == [MAC, OTHER]
    assert agg.take_all() == []


def test_rejects_nonpositive_intervals():
    with pytest.raises(ValueError):
        Aggregator(interval_s=0, unknown_interval_s=300)
