"""thermostat_reader.service end to end: a real advertisement stream, the real API, PostgreSQL.

Time runs on common.clock's simulated clock (fast), so an hour of API downtime
takes seconds of wall time.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import requests

from common.api_client import ApiClient
from common.clock import Clock
from protocols.lywsd03mmc import encode_pvvx
from thermostat_reader.service import EXIT_SCANNER_STUCK, ReaderService
from thermostat_reader.settings import ReaderSettings

START = "2026-01-12T05:00:00+00:00"


def settings_for(tmp_path, api_url, token, **changes) -> ReaderSettings:
    values = dict(api_url=api_url, service_token=token, advert_source="stream",
                  advert_stream_url="http://127.0.0.1:9/unused", spool_dir=str(tmp_path / "spool"),
                  bridge_enabled=False, interval_s=60, watchdog_s=600, retry_s=30, thermometers_refresh_s=600,
                  clock_start=START, clock_epoch=time.time(), clock_speed=60)
    values.update(changes)
    return ReaderSettings(_env_file=None, **values)


def wait_for(condition, timeout_s: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def rows(database_url: str, query: str, *params):
    with psycopg.connect(database_url) as conn:
        return conn.execute(query, params).fetchall()


def add_thermometer(client: ApiClient, room_id: int, mac: str, bind_key: str | None = None) -> None:
    client.post("/api/thermometers", {"mac": mac, "room_id": room_id, "bind_key": bind_key})


def run_in_thread(service: ReaderService) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(service.run()), daemon=True)
    thread.start()
    return thread, result


def test_a_stream_of_recorded_advertisements_arrives_in_postgresql(tmp_path, api_server, advert_stream):
    client = api_server.client()
    room = client.post("/api/rooms", {"name": "Living room"})
    add_thermometer(client, room["id"], "A4:C1:38:8D:18:B2")
    add_thermometer(client, room["id"], "A4:C1:38:11:22:33")
    # Bind key of the recorded MiBeacon advertisement (xiaomi-ble tests/test_parser.py,
    # test_Xiaomi_LYWSD03MMC_encrypted).
    add_thermometer(client, room["id"], "A4:C1:38:02:83:F4", "e9ea895fac7cca6d30532432a516f3a8")
    settings = settings_for(tmp_path, api_server.url, api_server.service_token, advert_stream_url=advert_stream.url,
                            unknown_interval_s=10)
    service = ReaderService(settings)
    thread, result = run_in_thread(service)
    try:
        wait_for(lambda: advert_stream.connections >= 1, what="the reader to connect to the stream")
        for _ in range(3):  # thermometers repeat each advertisement
            # pvvx custom: custom-components/ble_monitor custom_components/ble_monitor/test/test_atc_parser.py
            # (test_atc_custom_v2_9)
            advert_stream.send("A4:C1:38:8D:18:B2", 0x181A, bytes.fromhex("b2188d38c1a42b089011f70a43200f"),
                               rssi=-62, name="ATC_8D18B2")
            # BTHome v2: Bluetooth-Devices/bthome-ble tests/test_parser_v2.py
            # (test_bthome_packet_id_temperature_humidity_battery)
            advert_stream.send("A4:C1:38:11:22:33", 0xFCD2, bytes.fromhex("400009015d025d0903b718"), rssi=-71)
            # MiBeacon v5 encrypted: Bluetooth-Devices/xiaomi-ble tests/test_parser.py
            # (test_Xiaomi_LYWSD03MMC_encrypted)
            advert_stream.send("A4:C1:38:02:83:F4", 0xFE95,
                               bytes.fromhex("58585b0550f4830238c1a495ef58763c26000097e2abb5"), rssi=-80)
            # ATC1441 of a thermometer nobody configured: ble_monitor test_atc_atc1441_ext
            advert_stream.send("A4:C1:38:BC:7C:4E", 0x181A, bytes.fromhex("a4c138bc7c4e0102284f0b6720"))
        stored = wait_for(lambda: (r := rows(api_server.database_url,
                                             "SELECT upper(mac::text), temperature_c, humidity_pct, battery_pct, "
                                             "voltage_v, rssi_dbm FROM readings ORDER BY mac")) and len(r) == 3 and r,
                          what="three readings in PostgreSQL")
        assert stored == [
            ("A4:C1:38:02:83:F4", None, 46.7, None, None, -80),
            ("A4:C1:38:11:22:33", 23.97, 63.27, 93, None, -71),
            ("A4:C1:38:8D:18:B2", 20.91, 44.96, 67, 2.807, -62),
        ]
        wait_for(lambda: "A4:C1:38:BC:7C:4E" in str(client.get("/api/thermometers/heard")).upper(),
                 what="the unconfigured thermometer to be listed as heard")
        assert service.aggregator.stats.duplicates >= 6
    finally:
        service.stop()
        thread.join(10)
    assert result == [0]


class Gate:
    """A real HTTP proxy in front of the API that can be shut (answering 502, as a proxy does when
    the API is down) and opened again."""

    def __init__(self, target: str):
        self.open = True
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not gate.open:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = requests.request(self.command, target + self.path, data=body, timeout=10,
                                            headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def test_an_hour_of_api_downtime_loses_no_reading(tmp_path, api_server, advert_stream):
    mac = "A4:C1:38:8D:18:B2"
    client = api_server.client()
    room = client.post("/api/rooms", {"name": "Bedroom"})
    add_thermometer(client, room["id"], mac)
    gate = Gate(api_server.url)
    speed = 1200.0  # one simulated hour in three seconds
    settings = settings_for(tmp_path, gate.url, api_server.service_token, advert_stream_url=advert_stream.url,
                            clock_speed=speed, clock_epoch=time.time())
    clock = Clock.from_settings(settings)
    service = ReaderService(settings, clock=clock)
    feeding = threading.Event()
    feeding.set()

    def feed():
        counter = 0
        while feeding.is_set():
            counter += 1
            # pvvx custom advertisement bytes from the reference encoder, whose output matches the
            # recorded ble_monitor vector (tests/protocols/test_lywsd03mmc.py).
            advert_stream.send(mac, 0x181A, encode_pvvx(mac, 18 + (counter % 400) / 100, 50.0, 2900, 70, counter))
            time.sleep(0.01)  # 12 simulated seconds

    feeder = threading.Thread(target=feed, daemon=True)
    thread, result = run_in_thread(service)
    try:
        wait_for(lambda: advert_stream.connections >= 1, what="the stream connection")
        feeder.start()
        count = "SELECT count(*) FROM readings"
        wait_for(lambda: rows(api_server.database_url, count)[0][0] >= 3, what="readings before the outage")
        gate.open = False
        down_from = clock.now()
        time.sleep(0.3)
        stored_at_outage = rows(api_server.database_url, count)[0][0]
        wait_for(lambda: (clock.now() - down_from).total_seconds() > 3600, what="an hour of simulated downtime")
        assert rows(api_server.database_url, count)[0][0] == stored_at_outage
        assert not service.spool.is_empty()
        assert not service.sender.reachable
        gate.open = True
        up_at = clock.now()
        wait_for(lambda: service.sender.reachable and service.spool.is_empty(), what="the spool to be replayed")
        feeding.clear()
        feeder.join(2)
    finally:
        feeding.clear()
        service.stop()
        thread.join(15)
        gate.close()
    assert result == [0]
    times = [t for (t,) in rows(api_server.database_url, "SELECT time FROM readings ORDER BY time")]
    # Every reading the reader produced (including the ones spooled at shutdown) is stored.
    assert len(times) == service.submitted
    during = [t for t in times if down_from <= t <= up_at]
    # About one per simulated minute; fewer only when this busy machine stalls the feeding thread.
    assert len(during) >= 30, f"only {len(during)} readings during the simulated hour"
    # At most one per interval, in order, and no hole anywhere near the outage's size.
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert min(gaps) > 0
    assert max(gaps) <= 10 * settings.interval_s, f"a hole of {max(gaps)} s"
    assert times[0] < down_from < up_at < times[-1]


class SilentSource:
    """A scanner that starts fine but never hears anything; ``wake_on_start`` makes restart n deliver."""

    def __init__(self, wake_on_start: int | None = None):
        self.starts = 0
        self.stops = 0
        self.wake_on_start = wake_on_start
        self._stop = threading.Event()

    def start(self, callback):
        self.starts += 1
        if self.wake_on_start is not None and self.starts >= self.wake_on_start:
            from thermostat_reader.sources import Advert

            self._stop.clear()

            def emit():
                n = 0
                while not self._stop.wait(0.01):
                    n += 1
                    payload = encode_pvvx("A4:C1:38:8D:18:B2", 20.0, 40.0, 2900, 70, n)
                    callback(Advert("A4:C1:38:8D:18:B2", -60, None,
                                    {"0000181a-0000-1000-8000-00805f9b34fb": payload}))

            threading.Thread(target=emit, daemon=True).start()

    def stop(self):
        self.stops += 1
        self._stop.set()


def test_a_stalled_scanner_is_restarted_and_then_the_reader_gives_up(tmp_path):
    source = SilentSource()
    settings = settings_for(tmp_path, "http://127.0.0.1:9", "token", watchdog_s=10, max_restarts=2,
                            clock_speed=100, clock_epoch=time.time())
    service = ReaderService(settings, source=source, client=ApiClient("http://127.0.0.1:9", "token", 1.0))
    started = time.monotonic()
    assert service.run() == EXIT_SCANNER_STUCK
    assert source.starts == 3  # the first start and two restarts
    assert source.stops >= 3
    assert time.monotonic() - started < 10


def test_a_restart_that_brings_advertisements_back_resets_the_count(tmp_path):
    source = SilentSource(wake_on_start=2)
    settings = settings_for(tmp_path, "http://127.0.0.1:9", "token", watchdog_s=10, max_restarts=1,
                            clock_speed=100, clock_epoch=time.time())
    service = ReaderService(settings, source=source, client=ApiClient("http://127.0.0.1:9", "token", 1.0))
    thread, result = run_in_thread(service)
    wait_for(lambda: source.starts == 2 and service.aggregator.stats.heard > 0, what="the restarted scanner")
    time.sleep(0.5)  # several watchdog periods: the scanner now hears, so no more restarts
    service.stop()
    thread.join(10)
    assert result == [0]
    assert source.starts == 2 and service.restarts == 0
    # The API was unreachable the whole time: what was heard waits in the spool.
    assert not service.spool.is_empty()


def test_the_process_exits_non_zero_when_the_scanner_stays_deaf(tmp_path, advert_stream):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
    env.update({
        "HEATING_ADVERT_SOURCE": "stream", "HEATING_ADVERT_STREAM_URL": advert_stream.url,
        "HEATING_API_URL": "http://127.0.0.1:9", "HEATING_SERVICE_TOKEN": "token",
        "HEATING_SPOOL_DIR": str(tmp_path / "spool"), "HEATING_WATCHDOG_S": "1", "HEATING_MAX_RESTARTS": "1",
        "HEATING_API_TIMEOUT_S": "1", "HEATING_BRIDGE_ENABLED": "false",
    })
    completed = subprocess.run([sys.executable, "-m", "thermostat_reader", "run"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == EXIT_SCANNER_STUCK, completed.stderr[-2000:]
    assert "restarting the scanner" in completed.stderr
    assert "exiting so the whole reader is restarted" in completed.stderr
    assert advert_stream.connections >= 2  # the restart reconnected to the stream


def test_the_pi_valve_bridge_is_served_from_the_same_process(tmp_path):
    from thermostat_reader.sources import BluetoothSource

    class QuietAdapter(BluetoothSource):
        """The real Bluetooth source's type (the bridge pauses it), without touching an adapter."""

        def start(self, callback):
            self._callback = callback

        def stop(self):
            pass

    settings = settings_for(tmp_path, "http://127.0.0.1:9", "token", advert_source="bluetooth", bridge_enabled=True,
                            bridge_host="127.0.0.1", bridge_port=0, bridge_valves="00:1A:22:0C:3B:5D",
                            bridge_token="test-bridge-token-0123456789")
    service = ReaderService(settings, source=QuietAdapter(), client=ApiClient("http://127.0.0.1:9", "token", 1.0))
    thread, result = run_in_thread(service)
    try:
        wait_for(lambda: service.bridge is not None, what="the bridge to start")
        health = requests.get(service.bridge.url + "/health", timeout=5,
                              headers={"Authorization": "Bearer test-bridge-token-0123456789"}).json()
        assert health["ok"] is True and health["kind"] == "pi" and health["valves"] == 1
    finally:
        service.stop()
        thread.join(10)
    assert result == [0]
