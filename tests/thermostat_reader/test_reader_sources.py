"""thermostat_reader.sources: the advertisement stream over real HTTP, and its line format."""
from __future__ import annotations

import threading
import time

import pytest

from thermostat_reader.sources import THERMOMETER_UUIDS16, Advert, StreamSource, parse_stream_line

# BTHome v2 payload: Bluetooth-Devices/bthome-ble tests/test_parser_v2.py
# (test_bthome_packet_id_temperature_humidity_battery)
BTHOME = bytes.fromhex("400009015d025d0903b718")


def collect(source: StreamSource):
    heard: list[Advert] = []
    lock = threading.Lock()

    def callback(advert):
        with lock:
            heard.append(advert)

    source.start(callback)
    return heard


def wait_for(condition, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_parses_the_stream_format():
    line = ('{"address": "a4:c1:38:11:22:33", "rssi": -71, "local_name": "ATC_112233", '
            '"service_data": {"0000FCD2-0000-1000-8000-00805f9b34fb": "400009015d025d0903b718"}, '
            '"time": "2026-01-12T05:29:10.123Z"}')
    assert parse_stream_line(line) == Advert(
        address="A4:C1:38:11:22:33", rssi=-71, local_name="ATC_112233",
        service_data={"0000fcd2-0000-1000-8000-00805f9b34fb": BTHOME}, sent_time="2026-01-12T05:29:10.123Z")


@pytest.mark.parametrize("line", ["not json", "[1, 2]", '{"rssi": -70}', '{"address": "A4", "service_data": [1]}',
                                  '{"address": "A4", "service_data": {"181a": "zz"}}'])
def test_rejects_lines_that_are_not_advertisements(line):
    with pytest.raises(ValueError):
        parse_stream_line(line)


def test_delivers_each_advertisement_as_it_arrives(advert_stream):
    source = StreamSource(advert_stream.url)
    heard = collect(source)
    try:
        wait_for(lambda: advert_stream.connections == 1)
        advert_stream.send("A4:C1:38:11:22:33", 0xFCD2, BTHOME)
        wait_for(lambda: len(heard) == 1)  # one short line, not held back until a buffer fills
        assert heard[0].service_data == {"0000fcd2-0000-1000-8000-00805f9b34fb": BTHOME}
    finally:
        source.stop()


def test_skips_bad_lines_and_reconnects_when_the_stream_drops(advert_stream, caplog):
    source = StreamSource(advert_stream.url)
    heard = collect(source)
    try:
        wait_for(lambda: advert_stream.connections == 1)
        advert_stream.send_raw("{broken")
        advert_stream.send("A4:C1:38:11:22:33", 0xFCD2, BTHOME)
        advert_stream.drop()
        wait_for(lambda: advert_stream.connections == 2)
        advert_stream.send("A4:C1:38:11:22:34", 0xFCD2, BTHOME)
        wait_for(lambda: len(heard) == 2)
        assert [a.address for a in heard] == ["A4:C1:38:11:22:33", "A4:C1:38:11:22:34"]
        assert "not an advertisement" in caplog.text
    finally:
        source.stop()


def test_stop_returns_promptly_while_the_stream_is_silent(advert_stream):
    source = StreamSource(advert_stream.url)
    collect(source)
    wait_for(lambda: advert_stream.connections == 1)
    started = time.monotonic()
    source.stop()
    assert time.monotonic() - started < 1.0


def test_a_stream_that_is_not_there_is_retried(advert_stream):
    url = advert_stream.url
    advert_stream.stop()
    source = StreamSource(url, connect_timeout_s=0.5)
    collect(source)
    time.sleep(0.3)
    source.stop()  # no exception escaped the thread; stopping works while it waits to retry


def test_bluetooth_patterns_cover_the_thermometer_formats():
    assert set(THERMOMETER_UUIDS16) == {0x181A, 0xFCD2, 0xFE95}


def test_bluetooth_detections_become_adverts():
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

    from thermostat_reader.sources import BluetoothSource

    source = BluetoothSource()
    heard: list[Advert] = []
    source._callback = heard.append
    device = BLEDevice("a4:c1:38:11:22:33", "ATC_112233", None)
    # The service data bleak reports for a BTHome thermometer (payload: bthome-ble tests/test_parser_v2.py,
    # test_bthome_packet_id_temperature_humidity_battery).
    source._detected(device, AdvertisementData(
        local_name="ATC_112233", manufacturer_data={}, service_data={"0000fcd2-0000-1000-8000-00805f9b34fb": BTHOME},
        service_uuids=[], tx_power=None, rssi=-67, platform_data=()))
    source._detected(device, AdvertisementData(
        local_name=None, manufacturer_data={76: b"\x02"}, service_data={}, service_uuids=[], tx_power=None, rssi=-60,
        platform_data=()))
    assert heard == [Advert("A4:C1:38:11:22:33", -67, "ATC_112233", {"0000fcd2-0000-1000-8000-00805f9b34fb": BTHOME})]
    assert source.device("A4:C1:38:11:22:33") is device  # for the valve bridge's connections
