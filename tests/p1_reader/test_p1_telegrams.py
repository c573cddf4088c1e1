"""p1_reader.telegrams: dsmr_parser's example telegrams and our own channel and CRC cases."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from p1_reader.telegrams import (
    BadChecksum, MeterTelegram, TelegramError, TelegramStream, parse_telegram, specification,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_dsmr_parser_examples(recorded):
    # Values as asserted by ndokter/dsmr_parser test/test_parse_v2_2.py, test_parse_v3.py,
    # test_parse_v4_2.py and test_parse_v5.py; W = winter time, UTC+1.
    assert parse_telegram(recorded.V4_2, specification("4")) == MeterTelegram(
        time=utc(2016, 11, 13, 19, 57, 57), delivered_t1_kwh=1581.123, delivered_t2_kwh=1435.706,
        returned_t1_kwh=0.0, returned_t2_kwh=0.0, power_delivered_kw=2.027, power_returned_kw=0.0,
        gas_m3=981.443, gas_time=utc(2016, 11, 29, 19, 0, 0), gas_meter_id="4819243993373755377509728609491464",
        gas_channel=1)
    v5 = parse_telegram(recorded.V5, specification("5"))
    assert (v5.time, v5.delivered_t1_kwh, v5.delivered_t2_kwh, v5.returned_t1_kwh, v5.power_delivered_kw) == (
        utc(2017, 1, 2, 18, 20, 2), 4.426, 2.399, 2.444, 0.244)
    # Channel 2 is a second gas-type device without a reading: channel 1's is the one.
    assert (v5.gas_m3, v5.gas_time, v5.gas_channel) == (0.107, utc(2017, 1, 2, 15, 10, 5), 1)
    v22 = parse_telegram(recorded.V2_2, specification("2.2"))
    assert (v22.time, v22.delivered_t1_kwh, v22.power_delivered_kw, v22.gas_m3, v22.gas_time) == (
        None, 1.001, 1.01, 1.001, utc(2016, 11, 7, 18, 0, 0))
    v3 = parse_telegram(recorded.V3, specification("3"))
    assert (v3.delivered_t2_kwh, v3.power_delivered_kw, v3.gas_m3, v3.gas_time) == (
        12345.678, 1.19, 1.001, utc(2009, 2, 12, 15, 0, 0))


def test_belgian_meter_gas_on_24_2_3_and_water_beside_it(recorded):
    telegram = parse_telegram(recorded.FLUVIUS, specification("5B"))
    # S = summer time, UTC+2; the water meter's 872.234 m3 must not be taken.
    assert (telegram.gas_m3, telegram.gas_time, telegram.gas_meter_id, telegram.gas_channel) == (
        112.384, utc(2020, 5, 12, 11, 45, 58), "37464C4F32313139303333373333", 1)
    assert (telegram.time, telegram.delivered_t2_kwh, telegram.returned_t2_kwh) == (
        utc(2020, 5, 12, 11, 54, 9), 15.758, 0.011)
    # A Belgian meter read with the plain DSMR 5 setting gives the same gas.
    assert parse_telegram(recorded.FLUVIUS, specification("5")).gas_m3 == 112.384


def test_gas_on_channel_2_with_a_water_meter_on_channel_1(recorded):
    telegram = parse_telegram(recorded.dsmr5(recorded.GAS_ON_CHANNEL_2), specification("5"))
    assert (telegram.gas_m3, telegram.gas_channel, telegram.gas_meter_id) == (4521.337, 2, "4730303339303031")
    # The same with the DSMR 4 setting (whose dsmr_parser specification has no M-Bus channels).
    assert parse_telegram(recorded.dsmr5(recorded.GAS_ON_CHANNEL_2), specification("4")).gas_m3 == 4521.337


def test_a_water_meter_alone_is_never_gas(recorded):
    telegram = parse_telegram(recorded.dsmr5(recorded.WATER_ONLY), specification("5"))
    assert telegram.gas_m3 is None and telegram.gas_time is None
    assert telegram.delivered_t1_kwh == 4.426


def test_a_crc_without_its_leading_zero_is_accepted(recorded):
    text = recorded.short_crc
    assert len(text[text.index("!") + 1:].strip()) == 3
    assert parse_telegram(text, specification("5")).gas_m3 == 4521.337
    assert TelegramStream().feed(text.encode()) == [text]


def test_a_bad_crc_is_rejected(recorded):
    broken = recorded.V4_2.replace("1-0:1.8.1(001581.123*kWh)", "1-0:1.8.1(001581.124*kWh)")
    with pytest.raises(BadChecksum):
        parse_telegram(broken, specification("4"))
    assert issubclass(BadChecksum, TelegramError)


def test_noise_and_half_telegrams_between_telegrams_are_skipped(recorded):
    stream = TelegramStream()
    noise = b"\x00\xff garbage 1-0:1.8.1(000001.000*kWh)\r\n!12\r\n"
    half = recorded.V5[: len(recorded.V5) // 2].encode()
    data = noise + half + recorded.V4_2.encode() + b"\r\n\xfe\xfe" + recorded.FLUVIUS.encode()
    found = []
    for start in range(0, len(data), 37):  # arrives in pieces, as from a serial port
        found.extend(stream.feed(data[start:start + 37]))
    assert [text[:10] for text in found] == ["/KFM5KAIFA", "/FLU5\\2537"]
    assert parse_telegram(found[0], specification("4")).gas_m3 == 981.443


def test_unknown_dsmr_version_is_refused():
    with pytest.raises(ValueError, match="DSMR version"):
        specification("6")


def test_to_json_uses_utc_with_z(recorded):
    out = parse_telegram(recorded.V4_2, specification("4")).to_json()
    assert out["gas_time"] == "2016-11-29T19:00:00Z" and out["gas_m3"] == 981.443


def test_a_landis_gyr_recording_as_sent(recorded):
    telegram = parse_telegram(recorded.LANDIS_GYR, specification("4"))
    # S = summer time, UTC+2.
    assert (telegram.time, telegram.gas_m3, telegram.gas_time, telegram.gas_time_unusable) == (
        utc(2020, 5, 29, 14, 33, 19), 5277.053, utc(2020, 5, 29, 14, 0, 0), False)
    assert (telegram.delivered_t1_kwh, telegram.delivered_t2_kwh, telegram.power_delivered_kw) == (
        14765.683, 14628.043, 3.877)


def test_a_lower_case_summer_time_flag_on_the_gas_stamp_is_read(recorded):
    # The Landis+Gyr DSMR 4 meter writes its gas stamp's flag in lower case; the CRC is the meter's own
    # over those bytes. dsmr_parser alone gives no gas time for it, which dropped the meter's gas.
    text = recorded.with_crc(recorded.LANDIS_GYR.replace("(200529160000S)", "(200529160000s)"))
    assert "(200529160000s)(05277.053*m3)" in text
    telegram = parse_telegram(text, specification("4"))
    assert (telegram.gas_m3, telegram.gas_time, telegram.gas_time_unusable) == (
        5277.053, utc(2020, 5, 29, 14, 0, 0), False)
    # Lower-case winter time too, on the telegram's own stamp; durations (…*s) are left alone.
    winter = recorded.with_crc(recorded.LANDIS_GYR.replace("(200529163319S)", "(201229163319w)"))
    assert parse_telegram(winter, specification("4")).time == utc(2020, 12, 29, 15, 33, 19)
    # The CRC is still checked on the bytes as sent.
    with pytest.raises(BadChecksum):
        parse_telegram(recorded.LANDIS_GYR.replace("(200529160000S)", "(200529160000s)"), specification("4"))


def test_a_meter_that_hears_no_gas_meter_gives_no_gas_reading(recorded):
    # Iskra AM550's placeholder (700101010000W)(00000000): no unit, a 1970 stamp. Not 0 m3.
    telegram = parse_telegram(recorded.ISKRA_NO_GAS, specification("5"))
    assert (telegram.gas_m3, telegram.gas_time, telegram.gas_time_unusable) == (None, None, False)
    assert (telegram.time, telegram.delivered_t1_kwh, telegram.power_delivered_kw) == (
        utc(2017, 10, 6, 13, 16, 39), 0.558, 0.343)


@pytest.mark.parametrize("stamp", ["632525252525S", "000101000000W", "700101010000W", "2005291600"])
def test_a_gas_value_with_an_unusable_stamp_is_kept_and_flagged(recorded, stamp):
    # 632525252525S is what a Sagemcom T211 wrote on its gas line (ndokter/dsmr_parser issue 120);
    # 2000 and 1970 are unset meter clocks.
    text = recorded.with_crc(recorded.LANDIS_GYR.replace("(200529160000S)", f"({stamp})"))
    telegram = parse_telegram(text, specification("4"))
    assert (telegram.gas_m3, telegram.gas_time, telegram.gas_time_unusable) == (5277.053, None, True)
