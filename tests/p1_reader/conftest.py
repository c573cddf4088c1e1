"""Recorded DSMR telegrams, and cases built from them with a correct CRC."""
from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
from dsmr_parser.parsers import TelegramParser

# ndokter/dsmr_parser test/example_telegrams.py: TELEGRAM_V2_2, TELEGRAM_V3, TELEGRAM_V4_2, TELEGRAM_V5.
TELEGRAM_V2_2 = (
    '/ISk5\\2MT382-1004\r\n' '\r\n' '0-0:96.1.1(00000000000000)\r\n' '1-0:1.8.1(00001.001*kWh)\r\n'
    '1-0:1.8.2(00001.001*kWh)\r\n' '1-0:2.8.1(00001.001*kWh)\r\n' '1-0:2.8.2(00001.001*kWh)\r\n'
    '0-0:96.14.0(0001)\r\n' '1-0:1.7.0(0001.01*kW)\r\n' '1-0:2.7.0(0000.00*kW)\r\n' '0-0:17.0.0(0999.00*kW)\r\n'
    '0-0:96.3.10(1)\r\n' '0-0:96.13.1()\r\n' '0-0:96.13.0()\r\n' '0-1:24.1.0(3)\r\n' '0-1:96.1.0(000000000000)\r\n'
    '0-1:24.3.0(161107190000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n' '(00001.001)\r\n' '0-1:24.4.0(1)\r\n' '!\r\n'
)
TELEGRAM_V3 = (
    '/ISk5\\2MT382-1000\r\n' '\r\n' '0-0:96.1.1(4B384547303034303436333935353037)\r\n'
    '1-0:1.8.1(12345.678*kWh)\r\n' '1-0:1.8.2(12345.678*kWh)\r\n' '1-0:2.8.1(12345.678*kWh)\r\n'
    '1-0:2.8.2(12345.678*kWh)\r\n' '0-0:96.14.0(0002)\r\n' '1-0:1.7.0(001.19*kW)\r\n' '1-0:2.7.0(000.00*kW)\r\n'
    '0-0:17.0.0(016*A)\r\n' '0-0:96.3.10(1)\r\n' '0-0:96.13.1(303132333435363738)\r\n'
    '0-0:96.13.0(303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E'
    '3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F30313233'
    '3435363738393A3B3C3D3E3F)\r\n'
    '0-1:96.1.0(3232323241424344313233343536373839)\r\n' '0-1:24.1.0(03)\r\n'
    '0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n' '(00001.001)\r\n' '0-1:24.4.0(1)\r\n' '!\r\n'
)
TELEGRAM_V4_2 = (
    '/KFM5KAIFA-METER\r\n' '\r\n' '1-3:0.2.8(42)\r\n' '0-0:1.0.0(161113205757W)\r\n'
    '0-0:96.1.1(3960221976967177082151037881335713)\r\n' '1-0:1.8.1(001581.123*kWh)\r\n'
    '1-0:1.8.2(001435.706*kWh)\r\n' '1-0:2.8.1(000000.000*kWh)\r\n' '1-0:2.8.2(000000.000*kWh)\r\n'
    '0-0:96.14.0(0002)\r\n' '1-0:1.7.0(02.027*kW)\r\n' '1-0:2.7.0(00.000*kW)\r\n' '0-0:96.7.21(00015)\r\n'
    '0-0:96.7.9(00007)\r\n'
    '1-0:99.97.0(3)(0-0:96.7.19)(000104180320W)(0000237126*s)(000101000001W)'
    '(2147583646*s)(000102000003W)(2317482647*s)\r\n'
    '1-0:32.32.0(00000)\r\n' '1-0:52.32.0(00000)\r\n' '1-0:72.32.0(00000)\r\n' '1-0:32.36.0(00000)\r\n'
    '1-0:52.36.0(00000)\r\n' '1-0:72.36.0(00000)\r\n' '0-0:96.13.1()\r\n' '0-0:96.13.0()\r\n' '1-0:31.7.0(000*A)\r\n'
    '1-0:51.7.0(006*A)\r\n' '1-0:71.7.0(002*A)\r\n' '1-0:21.7.0(00.170*kW)\r\n' '1-0:22.7.0(00.000*kW)\r\n'
    '1-0:41.7.0(01.247*kW)\r\n' '1-0:42.7.0(00.000*kW)\r\n' '1-0:61.7.0(00.209*kW)\r\n' '1-0:62.7.0(00.000*kW)\r\n'
    '0-1:24.1.0(003)\r\n' '0-1:96.1.0(4819243993373755377509728609491464)\r\n'
    '0-1:24.2.1(161129200000W)(00981.443*m3)\r\n' '!6796\r\n'
)
TELEGRAM_V5 = (
    '/ISk5\\2MT382-1000\r\n' '\r\n' '1-3:0.2.8(50)\r\n' '0-0:1.0.0(170102192002W)\r\n'
    '0-0:96.1.1(4B384547303034303436333935353037)\r\n' '1-0:1.8.1(000004.426*kWh)\r\n'
    '1-0:1.8.2(000002.399*kWh)\r\n' '1-0:2.8.1(000002.444*kWh)\r\n' '1-0:2.8.2(000000.000*kWh)\r\n'
    '0-0:96.14.0(0002)\r\n' '1-0:1.7.0(00.244*kW)\r\n' '1-0:2.7.0(00.000*kW)\r\n' '0-0:96.7.21(00013)\r\n'
    '0-0:96.7.9(00000)\r\n' '1-0:99.97.0(0)(0-0:96.7.19)\r\n' '1-0:32.32.0(00000)\r\n' '1-0:52.32.0(00000)\r\n'
    '1-0:72.32.0(00000)\r\n' '1-0:32.36.0(00000)\r\n' '1-0:52.36.0(00000)\r\n' '1-0:72.36.0(00000)\r\n'
    '0-0:96.13.0()\r\n' '1-0:32.7.0(0230.0*V)\r\n' '1-0:52.7.0(0230.0*V)\r\n' '1-0:72.7.0(0229.0*V)\r\n'
    '1-0:31.7.0(0.48*A)\r\n' '1-0:51.7.0(0.44*A)\r\n' '1-0:71.7.0(0.86*A)\r\n' '1-0:21.7.0(00.070*kW)\r\n'
    '1-0:41.7.0(00.032*kW)\r\n' '1-0:61.7.0(00.142*kW)\r\n' '1-0:22.7.0(00.000*kW)\r\n' '1-0:42.7.0(00.000*kW)\r\n'
    '1-0:62.7.0(00.000*kW)\r\n' '0-1:24.1.0(003)\r\n' '0-1:96.1.0(3232323241424344313233343536373839)\r\n'
    '0-1:24.2.1(170102161005W)(00000.107*m3)\r\n' '0-2:24.1.0(003)\r\n' '0-2:96.1.0()\r\n' '!6EEE\r\n'
)
# Belgian Fluvius eMUCS v1.7.1 telegram: TELEGRAM_FLUVIUS_V171 of ndokter/dsmr_parser
# test/example_telegrams.py (values asserted in its test/test_parse_fluvius.py): gas on 0-1:24.2.3,
# a water meter (device type 007) on channel 2.
TELEGRAM_FLUVIUS = (
    "/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n0-0:96.1.1(3153414733313031303231363035)\r\n"
    "0-0:1.0.0(200512135409S)\r\n1-0:1.8.1(000000.034*kWh)\r\n1-0:1.8.2(000015.758*kWh)\r\n"
    "1-0:2.8.1(000000.000*kWh)\r\n1-0:2.8.2(000000.011*kWh)\r\n1-0:1.4.0(02.351*kW)\r\n"
    "1-0:1.6.0(200509134558S)(02.589*kW)\r\n"
    "0-0:98.1.0(3)(1-0:1.6.0)(1-0:1.6.0)(200501000000S)(200423192538S)(03.695*kW)"
    "(200401000000S)(200305122139S)(05.980*kW)(200301000000S)(200210035421W)(04.318*kW)\r\n"
    "0-0:96.14.0(0001)\r\n1-0:1.7.0(00.000*kW)\r\n1-0:2.7.0(00.000*kW)\r\n1-0:21.7.0(00.000*kW)\r\n"
    "1-0:41.7.0(00.000*kW)\r\n1-0:61.7.0(00.000*kW)\r\n1-0:22.7.0(00.000*kW)\r\n1-0:42.7.0(00.000*kW)\r\n"
    "1-0:62.7.0(00.000*kW)\r\n1-0:32.7.0(234.7*V)\r\n1-0:52.7.0(234.7*V)\r\n1-0:72.7.0(234.7*V)\r\n"
    "1-0:31.7.0(000.00*A)\r\n1-0:51.7.0(000.00*A)\r\n1-0:71.7.0(000.00*A)\r\n0-0:96.3.10(1)\r\n"
    "0-0:17.0.0(999.9*kW)\r\n1-0:31.4.0(999*A)\r\n0-0:96.13.0()\r\n0-1:24.1.0(003)\r\n"
    "0-1:96.1.1(37464C4F32313139303333373333)\r\n0-1:24.4.0(1)\r\n0-1:24.2.3(200512134558S)(00112.384*m3)\r\n"
    "0-2:24.1.0(007)\r\n0-2:96.1.1(3853414731323334353637383930)\r\n0-2:24.2.1(200512134558S)(00872.234*m3)\r\n"
    "!3AD7\r\n"
)

# A Landis+Gyr E350 DSMR 4.2 meter (/XMX5LGBBFFB…), summer time, verbatim with its own CRC 7667:
# alang76/dsmr-metrics, the Haskell reader's test telegram (test/Spec.hs, SampleInput.hs).
TELEGRAM_LANDIS_GYR = (
    "/XMX5LGBBFFB231215493\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(200529163319S)\r\n"
    "0-0:96.1.1(4530303034303031353934373534343134)\r\n1-0:1.8.1(014765.683*kWh)\r\n"
    "1-0:2.8.1(000000.000*kWh)\r\n1-0:1.8.2(014628.043*kWh)\r\n1-0:2.8.2(000000.000*kWh)\r\n"
    "0-0:96.14.0(0002)\r\n1-0:1.7.0(03.877*kW)\r\n1-0:2.7.0(00.000*kW)\r\n0-0:96.7.21(00003)\r\n"
    "0-0:96.7.9(00002)\r\n1-0:99.97.0(2)(0-0:96.7.19)(170326062519S)(0029642045*s)(160417043131S)"
    "(0032998738*s)\r\n1-0:32.32.0(00000)\r\n1-0:32.36.0(00000)\r\n0-0:96.13.1()\r\n0-0:96.13.0()\r\n"
    "1-0:31.7.0(017*A)\r\n1-0:21.7.0(03.877*kW)\r\n1-0:22.7.0(00.000*kW)\r\n0-1:24.1.0(003)\r\n"
    "0-1:96.1.0(4730303137353931323139313130333134)\r\n0-1:24.2.1(200529160000S)(05277.053*m3)\r\n"
    "!7667\r\n"
)
# An Iskra AM550 DSMR 5 meter that hears no gas meter yet: its gas line is the placeholder
# (700101010000W)(00000000). dsmrreader/dsmr-reader issue 361 ("ISKRA AM550-ED1.01 werkt niet");
# its reporter replaced the serial number with x, so the CRC is computed again (with_crc).
TELEGRAM_ISKRA_NO_GAS_BODY = (
    "/ISK5\\2M550E-1012\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(171006151639S)\r\n"
    "0-0:96.1.1(xxxxxxxxxxxxxxxxxxxxxxxxxxxxx)\r\n1-0:1.8.1(000000.558*kWh)\r\n1-0:1.8.2(000000.000*kWh)\r\n"
    "1-0:2.8.1(000000.000*kWh)\r\n1-0:2.8.2(000000.000*kWh)\r\n0-0:96.14.0(0001)\r\n1-0:1.7.0(00.343*kW)\r\n"
    "1-0:2.7.0(00.000*kW)\r\n0-0:96.7.21(00008)\r\n0-0:96.7.9(00003)\r\n"
    "1-0:99.97.0(1)(0-0:96.7.19)(170712072144S)(0000000565*s)\r\n1-0:32.32.0(00005)\r\n1-0:32.36.0(00001)\r\n"
    "0-0:96.13.0()\r\n1-0:32.7.0(227.5*V)\r\n1-0:31.7.0(001*A)\r\n1-0:21.7.0(00.345*kW)\r\n"
    "1-0:22.7.0(00.000*kW)\r\n0-1:24.1.0(003)\r\n0-1:96.1.0()\r\n0-1:24.2.1(700101010000W)(00000000)\r\n!"
)


def with_crc(text: str, drop_leading_zero: bool = False) -> str:
    """The telegram with the CRC-16/ARC its body needs (as a meter computes it)."""
    body = text[: text.index("!") + 1]
    crc = TelegramParser.crc16(body)
    digits = f"{crc:X}" if drop_leading_zero else f"{crc:04X}"
    return f"{body}{digits}\r\n"


def dsmr5(gas_lines: str, power_kw: str = "00.244", stamp: str = "170102192002W") -> str:
    """TELEGRAM_V5 with its M-Bus lines replaced (and a correct CRC): our own channel layouts."""
    head = TELEGRAM_V5[: TELEGRAM_V5.index("0-1:24.1.0")]
    head = head.replace("1-0:1.7.0(00.244*kW)", f"1-0:1.7.0({power_kw}*kW)").replace("170102192002W", stamp)
    return with_crc(head + gas_lines + "!")


# Gas on channel 2, a water meter on channel 1 (its reading must never be taken for gas).
GAS_ON_CHANNEL_2 = (
    "0-1:24.1.0(007)\r\n0-1:96.1.0(3131313131313131)\r\n0-1:24.2.1(170102161005W)(00123.456*m3)\r\n"
    "0-2:24.1.0(003)\r\n0-2:96.1.0(4730303339303031)\r\n0-2:24.2.1(170102161005W)(04521.337*m3)\r\n"
)
# Only a water meter: no gas at all.
WATER_ONLY = "0-1:24.1.0(007)\r\n0-1:96.1.0(3131313131313131)\r\n0-1:24.2.1(170102161005W)(00123.456*m3)\r\n"


@functools.cache
def telegram_with_short_crc() -> str:
    """A DSMR 5 telegram whose CRC is below 0x1000, sent as 3 hex digits as some meters do."""
    for watts in range(0, 100000):
        power = f"{watts / 1000:06.3f}"
        candidate = dsmr5(GAS_ON_CHANNEL_2, power_kw=power)
        body = candidate[: candidate.index("!") + 1]
        if TelegramParser.crc16(body) < 0x1000:
            return with_crc(body, drop_leading_zero=True)
    raise AssertionError("no telegram with a short CRC found")


@pytest.fixture
def recorded() -> SimpleNamespace:
    """The telegrams above and the helpers that build cases from them."""
    return SimpleNamespace(
        V2_2=TELEGRAM_V2_2, V3=TELEGRAM_V3, V4_2=TELEGRAM_V4_2, V5=TELEGRAM_V5, FLUVIUS=TELEGRAM_FLUVIUS,
        GAS_ON_CHANNEL_2=GAS_ON_CHANNEL_2, WATER_ONLY=WATER_ONLY, dsmr5=dsmr5, with_crc=with_crc,
        short_crc=telegram_with_short_crc(),
        LANDIS_GYR=TELEGRAM_LANDIS_GYR, ISKRA_NO_GAS=with_crc(TELEGRAM_ISKRA_NO_GAS_BODY),
    )
