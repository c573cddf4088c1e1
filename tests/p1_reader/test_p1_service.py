"""p1_reader.service end to end: a real TCP serial bridge (as ser2net), the real API, PostgreSQL."""
from __future__ import annotations

import socket
import threading
import time

import psycopg
import pytest

from common.api_client import ApiClient
from p1_reader.service import P1Service
from p1_reader.settings import P1Settings


class SerialBridge:
    """A TCP server that sends the given bytes to whoever connects, then keeps the line open."""

    def __init__(self, data: bytes, chunk: int = 64):
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"tcp://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closing = threading.Event()

        def serve():
            while not self._closing.is_set():
                try:
                    conn, _ = self._listener.accept()
                except OSError:
                    return
                self.connections += 1
                with conn:
                    for start in range(0, len(data), chunk):
                        conn.sendall(data[start:start + chunk])
                        time.sleep(0.001)
                    self._closing.wait()

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self._closing.set()
        self._listener.close()


def wait_for(condition, timeout_s=15.0, what="condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def settings(tmp_path, url, api_url, token) -> P1Settings:
    return P1Settings(_env_file=None, p1_url=url, p1_dsmr_version="5", api_url=api_url, service_token=token,
                      spool_dir=str(tmp_path / "spool"), retry_s=0.2, api_timeout_s=2)


@pytest.fixture
def api_server(make_api_server):
    """The API with its clock on the day after the recorded telegrams (it refuses readings from long ago)."""
    return make_api_server(clock_start="2017-01-03T00:00:00+00:00")


def meter_bytes(recorded) -> bytes:
    bad_crc = recorded.V4_2.replace("(001581.123*kWh)", "(001581.124*kWh)")
    parts = [
        "\x00\xffline noise\r\n", recorded.V4_2, bad_crc,
        recorded.dsmr5(recorded.GAS_ON_CHANNEL_2), recorded.short_crc, "garbage between telegrams\r\n",
        recorded.dsmr5(recorded.WATER_ONLY, stamp="170102192102W"),
    ]
    return "".join(parts).encode("latin-1")


def rows(database_url, query):
    with psycopg.connect(database_url) as conn:
        return conn.execute(query).fetchall()


GAS = "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), gas_m3, meter_id FROM gas_readings ORDER BY time"
POWER = ("SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), delivered_t1_kwh, power_delivered_kw "
         "FROM electricity_readings ORDER BY time")


def run(service: P1Service) -> threading.Thread:
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    return thread


def test_telegrams_from_a_tcp_bridge_arrive_in_postgresql(tmp_path, api_server, recorded):
    bridge = SerialBridge(meter_bytes(recorded))
    service = P1Service(settings(tmp_path, bridge.url, api_server.url, api_server.service_token))
    thread = run(service)
    try:
        wait_for(lambda: len(rows(api_server.database_url, POWER)) == 3, what="three electricity readings")
    finally:
        service.stop()
        thread.join(10)
        bridge.close()
    assert rows(api_server.database_url, GAS) == [
        ("2016-11-29 19:00:00", 981.443, "4819243993373755377509728609491464"),
        ("2017-01-02 15:10:05", 4521.337, "4730303339303031"),  # channel 2; the water meter beside it ignored
    ]
    # One electricity reading per minute of meter time: the short-CRC telegram shares 18:20's minute.
    assert rows(api_server.database_url, POWER) == [
        ("2016-11-13 19:57:57", 1581.123, 2.027), ("2017-01-02 18:20:02", 4.426, 0.244),
        ("2017-01-02 18:21:02", 4.426, 0.244)]
    assert service.bad_checksums == 1
    assert service.telegrams == 4
    assert service.spool.is_empty()


def test_readings_wait_on_disk_while_the_api_is_down_and_survive_a_restart(tmp_path, api_server, recorded):
    bridge = SerialBridge(meter_bytes(recorded))
    down = P1Service(settings(tmp_path, bridge.url, "http://127.0.0.1:9", "token"),
                     client=ApiClient("http://127.0.0.1:9", "token", 1.0))
    thread = run(down)
    try:
        wait_for(lambda: down.telegrams == 4, what="all telegrams read")
    finally:
        down.stop()
        thread.join(10)
        bridge.close()
    assert not down.spool.is_empty() and down.submitted == 5
    assert rows(api_server.database_url, GAS) == []
    # The next start (API up again) sends what waited on disk, in order.
    silent = SerialBridge(b"")
    up = P1Service(settings(tmp_path, silent.url, api_server.url, api_server.service_token))
    thread = run(up)
    try:
        wait_for(up.spool.is_empty, what="the spool to be delivered")
    finally:
        up.stop()
        thread.join(10)
        silent.close()
    assert [r[1] for r in rows(api_server.database_url, GAS)] == [981.443, 4521.337]
    assert len(rows(api_server.database_url, POWER)) == 3


def test_a_belgian_meters_telegram_arrives_in_postgresql(tmp_path, make_api_server, recorded):
    api_server = make_api_server(clock_start="2020-05-13T00:00:00+00:00")
    bridge = SerialBridge(recorded.FLUVIUS.encode("latin-1"))
    service = P1Service(settings(tmp_path, bridge.url, api_server.url, api_server.service_token))
    thread = run(service)
    try:
        wait_for(lambda: len(rows(api_server.database_url, GAS)) == 1, what="the gas reading")
    finally:
        service.stop()
        thread.join(10)
        bridge.close()
    assert rows(api_server.database_url, GAS) == [("2020-05-12 11:45:58", 112.384, "37464C4F32313139303333373333")]
    assert rows(api_server.database_url, POWER) == [("2020-05-12 11:54:09", 0.034, 0.0)]


def test_a_port_that_cannot_be_opened_is_retried(tmp_path):
    service = P1Service(settings(tmp_path, "tcp://127.0.0.1:9", "http://127.0.0.1:9", "t"),
                        client=ApiClient("http://127.0.0.1:9", "t", 1.0))
    thread = run(service)
    time.sleep(0.3)
    service.stop()
    thread.join(10)
    assert not thread.is_alive() and service.telegrams == 0


def test_a_landis_gyr_meters_lower_case_gas_stamp_arrives_in_postgresql(tmp_path, make_api_server, recorded):
    # The API takes readings of the last 400 days only: its clock is the recording's day.
    api_server = make_api_server(clock_start="2020-05-29T16:00:00+00:00", clock_epoch=time.time(), clock_speed=1)
    lower = recorded.with_crc(recorded.LANDIS_GYR.replace("(200529160000S)", "(200529160000s)"))
    unstamped = recorded.with_crc(recorded.LANDIS_GYR.replace("(200529163319S)", "(200529173319S)")
                                  .replace("(200529160000S)(05277.053", "(632525252525S)(05277.153"))
    bridge = SerialBridge((lower + recorded.ISKRA_NO_GAS + unstamped).encode("latin-1"))
    service = P1Service(settings(tmp_path, bridge.url, api_server.url, api_server.service_token))
    thread = run(service)
    try:
        wait_for(lambda: len(rows(api_server.database_url, GAS)) == 2, what="two gas readings")
    finally:
        service.stop()
        thread.join(10)
        bridge.close()
    # The lower-case stamp as the meter read it; the unusable one at the telegram's own time. The Iskra's
    # placeholder is no reading (no 0 m3 between them).
    assert rows(api_server.database_url, GAS) == [
        ("2020-05-29 14:00:00", 5277.053, "4730303137353931323139313130333134"),
        ("2020-05-29 15:33:19", 5277.153, "4730303137353931323139313130333134")]
    assert (service.telegrams, service.unreadable, service.gas_unstamped) == (3, 0, 1)
