"""DSMR 5 telegrams: CRC, dsmr_parser accepts them, the TCP server streams them."""
from __future__ import annotations

import socket
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from simulator.p1_server import MeterValues, P1Server, crc16_arc, dsmr_time, gas_boundary, telegram

VALUES = MeterValues(time=datetime(2026, 1, 12, 5, 29, 10, tzinfo=timezone.utc), delivered_t1_kwh=1234.5,
                     delivered_t2_kwh=2345.678, tariff=1, power_kw=0.42,
                     gas_time=datetime(2026, 1, 12, 5, 25, tzinfo=timezone.utc), gas_m3=4521.337,
                     gas_meter_id="4730303339303031")


def test_crc16_arc_check_value():
    # The catalogue check value of CRC-16/ARC over "123456789" (reveng CRC catalogue).
    assert crc16_arc(b"123456789") == 0xBB3D


def test_dsmr_time_marks_winter_and_summer():
    assert dsmr_time(datetime(2026, 1, 12, 5, 25, tzinfo=timezone.utc)) == "260112062500W"
    assert dsmr_time(datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)) == "260701120000S"


def test_dsmr_parser_accepts_the_telegram_and_its_checksum():
    text = telegram(VALUES)
    assert text.startswith("/") and "\r\n!" in text
    TelegramParser.validate_checksum(text)
    parsed = TelegramParser(telegram_specifications.V5).parse(text)
    assert parsed.MBUS_METER_READING.value == Decimal("4521.337")
    assert parsed.MBUS_METER_READING.datetime == datetime(2026, 1, 12, 5, 25, tzinfo=timezone.utc)
    assert parsed.ELECTRICITY_USED_TARIFF_1.value == Decimal("1234.500")
    assert parsed.CURRENT_ELECTRICITY_USAGE.value == Decimal("0.420")


def test_a_corrupted_telegram_fails_the_checksum():
    from dsmr_parser.exceptions import InvalidChecksumError

    text = telegram(VALUES).replace("4521.337", "4521.338")
    with pytest.raises(InvalidChecksumError):
        TelegramParser.validate_checksum(text)


def test_gas_boundary_is_the_last_five_minutes():
    assert gas_boundary(datetime(2026, 1, 12, 5, 29, 59, tzinfo=timezone.utc)) == \
        datetime(2026, 1, 12, 5, 25, tzinfo=timezone.utc)


def test_server_streams_telegrams_over_tcp():
    readings = iter([4521.337, 4521.337, 4521.412])

    def values():
        return MeterValues(**{**VALUES.__dict__, "gas_m3": next(readings, 4521.412)})

    server = P1Server(values, interval_s=0.05).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            buffer = b""
            while buffer.count(b"!") < 3:
                buffer += conn.recv(4096)
    finally:
        server.stop()
    telegrams = [t for t in buffer.decode("ascii").split("/ISk5") if t]
    parser = TelegramParser(telegram_specifications.V5)
    gas = [parser.parse("/ISk5" + t).MBUS_METER_READING.value for t in telegrams[:3]]
    assert gas == [Decimal("4521.337"), Decimal("4521.337"), Decimal("4521.412")]
