"""The simulated smart meter: DSMR 5 telegrams on a TCP port, as a ser2net bridge serves them.

``telegram(...)`` is pure: meter values in, the telegram text out, with the
CRC-16/ARC over everything from ``/`` through ``!`` (DSMR 5.0.2 §6.12). The
server sends one telegram a second (wall time) to every connected client,
stamped with the simulated time; the gas reading carries the time of the
last 5-minute boundary, as a DSMR 5 meter reports it.
"""
from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

log = logging.getLogger("simulator.p1")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
IDENTIFICATION = "/ISk5\\2MT382-1000"
GAS_INTERVAL_S = 300


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC: polynomial 0x8005 reflected (0xA001), initial value 0, no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def dsmr_time(moment: datetime) -> str:
    """YYMMDDhhmmssX in Dutch local time, X = S in summer time, W in winter time."""
    local = moment.astimezone(AMSTERDAM)
    return local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")


@dataclass(frozen=True)
class MeterValues:
    time: datetime
    delivered_t1_kwh: float
    delivered_t2_kwh: float
    tariff: int  # 1 or 2
    power_kw: float
    gas_time: datetime
    gas_m3: float
    gas_meter_id: str  # the meter's equipment identifier as it appears in 0-1:96.1.0 (hex digits)
    equipment_id: str = "4530303034303031353934353934303131"


def telegram(values: MeterValues) -> str:
    """A complete DSMR 5 telegram for these values, CRLF line ends, CRC included."""
    lines = [
        IDENTIFICATION,
        "",
        "1-3:0.2.8(50)",
        f"0-0:1.0.0({dsmr_time(values.time)})",
        f"0-0:96.1.1({values.equipment_id})",
        f"1-0:1.8.1({values.delivered_t1_kwh:010.3f}*kWh)",
        f"1-0:1.8.2({values.delivered_t2_kwh:010.3f}*kWh)",
        "1-0:2.8.1(000000.000*kWh)",
        "1-0:2.8.2(000000.000*kWh)",
        f"0-0:96.14.0({values.tariff:04d})",
        f"1-0:1.7.0({values.power_kw:06.3f}*kW)",
        "1-0:2.7.0(00.000*kW)",
        "0-0:96.7.21(00004)",
        "0-0:96.7.9(00002)",
        "1-0:32.32.0(00000)",
        "1-0:32.36.0(00000)",
        "0-0:96.13.0()",
        "1-0:32.7.0(230.1*V)",
        f"1-0:31.7.0({max(0, round(values.power_kw * 1000 / 230)):03d}*A)",
        f"1-0:21.7.0({values.power_kw:06.3f}*kW)",
        "1-0:22.7.0(00.000*kW)",
        "0-1:24.1.0(003)",
        f"0-1:96.1.0({values.gas_meter_id})",
        f"0-1:24.2.1({dsmr_time(values.gas_time)})({values.gas_m3:09.3f}*m3)",
    ]
    body = "\r\n".join(lines) + "\r\n!"
    return body + f"{crc16_arc(body.encode('ascii')):04X}\r\n"


class P1Server:
    """Sends a telegram every second to each client of ``host:port``.

    ``read_values(now)`` gives the meter's values at the simulated instant.
    """

    def __init__(self, read_values: Callable[[], MeterValues], host: str = "127.0.0.1", port: int = 0,
                 interval_s: float = 1.0):
        self.read_values = read_values
        self.interval_s = interval_s
        self._sock = socket.create_server((host, port))
        self._sock.settimeout(0.5)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def start(self) -> "P1Server":
        thread = threading.Thread(target=self._accept, name="p1-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=3)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self._sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            log.info("P1: a reader connected from %s:%s; sending a telegram every %.0f s", *peer, self.interval_s)
            thread = threading.Thread(target=self._serve, args=(conn,), name="p1-client", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._stop.is_set():
                try:
                    conn.sendall(telegram(self.read_values()).encode("ascii"))
                except OSError:
                    log.info("P1: a reader disconnected")
                    return
                self._stop.wait(self.interval_s)


def gas_boundary(now: datetime) -> datetime:
    """The last 5-minute boundary at or before ``now`` (when a DSMR 5 meter last read the gas meter)."""
    ts = int(now.timestamp()) // GAS_INTERVAL_S * GAS_INTERVAL_S
    return datetime.fromtimestamp(ts, tz=timezone.utc)

