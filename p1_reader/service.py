"""The P1 reader's loop: bytes in, telegrams parsed, readings spooled and delivered."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Callable

from common.api_client import ApiClient
from common.clock import Clock
from common.spool import Spool
from p1_reader.aggregator import MeterAggregator
from p1_reader.poster import meter_readings_sender
from p1_reader.settings import P1Settings
from p1_reader.sources import P1Connection, open_p1
from p1_reader.telegrams import BadChecksum, TelegramError, TelegramStream, parse_telegram, specification

log = logging.getLogger(__name__)


class P1Service:
    def __init__(self, settings: P1Settings, *, client: ApiClient | None = None, clock: Clock | None = None,
                 spool: Spool | None = None, connect: Callable[[], P1Connection] | None = None):
        self.settings = settings
        self.clock = clock or Clock.from_settings(settings)
        self.client = client or ApiClient(settings.api_url, settings.service_token or None, settings.api_timeout_s)
        self.spool = spool or Spool(settings.spool_path, settings.spool_max_bytes, label="meter readings")
        self.sender = meter_readings_sender(self.client, self.spool, settings.batch_size)
        self.aggregator = MeterAggregator(settings.electricity_interval_s)
        self.spec = specification(settings.p1_dsmr_version)
        # Reads wake up at least every poll_s, so the spool is delivered and stop() is seen
        # while the meter is silent.
        self.poll_s = min(1.0, settings.p1_read_timeout_s)
        self.connect = connect or (lambda: open_p1(settings.p1_url, settings.p1_dsmr_version, self.poll_s,
                                                          settings.mqtt_ca_file or None))
        self.telegrams = 0
        self.bad_checksums = 0
        self.unreadable = 0
        self.gas_unstamped = 0
        self.submitted = 0
        self._next_delivery = self.clock.now()
        self._stop = threading.Event()
        self._connection: P1Connection | None = None

    def stop(self) -> None:
        self._stop.set()
        connection = self._connection
        if connection is not None:
            try:
                connection.close()  # wakes a read in progress
            except OSError:
                pass

    def handle_telegram(self, text: str) -> None:
        """Parse one telegram; spool what it adds. Bad ones are counted and logged, never fatal."""
        try:
            telegram = parse_telegram(text, self.spec)
        except BadChecksum as exc:
            self.bad_checksums += 1
            if self.bad_checksums == 1 or self.bad_checksums % 100 == 0:
                log.warning("P1 telegram with a bad CRC skipped (%d so far): %s. A few are normal on a long or "
                            "noisy cable; many mean a wrong HEATING_P1_DSMR_VERSION or serial setting.",
                            self.bad_checksums, exc)
            return
        except TelegramError as exc:
            self.unreadable += 1
            log.warning("Unreadable P1 telegram skipped (%d so far): %s", self.unreadable, exc)
            return
        self.telegrams += 1
        if self.telegrams == 1 and telegram.gas_m3 is None:
            log.warning("The meter's telegrams carry no gas meter (no M-Bus device of type 003): only electricity "
                        "is recorded.")
        if telegram.gas_time_unusable:
            self.gas_unstamped += 1
            if self.gas_unstamped == 1 or self.gas_unstamped % 100 == 0:
                log.warning("The gas meter's reading %.3f m3 comes without a usable time stamp (%d so far): it is "
                            "recorded with the telegram's time instead.", telegram.gas_m3, self.gas_unstamped)
        records = self.aggregator.offer(telegram, self.clock.now())
        if records:
            self.sender.submit(records)
            self.submitted += len(records)
        self.deliver()

    def deliver(self) -> None:
        now = self.clock.now()
        if now >= self._next_delivery and not self.spool.is_empty():
            if not self.sender.flush():
                self._next_delivery = now + timedelta(seconds=self.settings.retry_s)

    def run(self) -> int:
        """Read until ``stop()``; reconnects whenever the port fails or falls silent. Returns the exit status."""
        wait_s = 1.0
        self.deliver()  # what an earlier run left on disk
        while not self._stop.is_set():
            try:
                self._connection = self.connect()
            except OSError as exc:
                log.warning("Cannot open the P1 port %s (%s); trying again in %.0f s.", self.settings.p1_display, exc,
                            wait_s)
                self.deliver()
                self._stop.wait(wait_s)
                wait_s = min(wait_s * 2, 60.0)
                continue
            log.info("Reading P1 telegrams from %s (DSMR %s).", self.settings.p1_display, self.settings.p1_dsmr_version)
            wait_s = 1.0
            stream = TelegramStream()
            silent_s = 0.0
            try:
                while not self._stop.is_set():
                    try:
                        data = self._connection.read()
                    except TimeoutError:
                        silent_s += self.poll_s
                        self.deliver()
                        if silent_s >= self.settings.p1_read_timeout_s:
                            log.warning("No data from the P1 port %s for %.0f s; reconnecting.",
                                        self.settings.p1_display, silent_s)
                            break
                        continue
                    if not data:
                        log.warning("The P1 port %s closed the connection; reconnecting.", self.settings.p1_display)
                        break
                    silent_s = 0.0
                    for text in stream.feed(data):
                        self.handle_telegram(text)
                    self.deliver()
            except OSError as exc:
                if not self._stop.is_set():
                    log.warning("The P1 port %s failed (%s); reconnecting.", self.settings.p1_display, exc)
            finally:
                try:
                    self._connection.close()
                except OSError:
                    pass
                self._connection = None
            self._stop.wait(0.5)
        if not self.spool.is_empty() and not self.sender.flush():
            log.warning("Stopping with meter readings still on disk in %s: they are sent at the next start.",
                        self.spool.directory)
        self.client.close()
        return 0
