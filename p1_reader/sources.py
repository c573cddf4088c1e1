"""The bytes of a P1 port: a serial device, or a TCP serial bridge such as ser2net."""
from __future__ import annotations

import socket
from typing import Protocol


class P1Connection(Protocol):
    def read(self) -> bytes:
        """The next bytes; b"" when the other side closed; TimeoutError when it stayed silent."""
        ...

    def close(self) -> None: ...


class TcpConnection:
    def __init__(self, host: str, port: int, timeout_s: float):
        self._socket = socket.create_connection((host, port), timeout=max(timeout_s, 5.0))
        self._socket.settimeout(timeout_s)

    def read(self) -> bytes:
        try:
            return self._socket.recv(4096)
        except socket.timeout as exc:
            raise TimeoutError("no data") from exc

    def close(self) -> None:
        self._socket.close()


class SerialConnection:
    def __init__(self, device: str, dsmr_version: str, timeout_s: float):
        import serialx
        from dsmr_parser.clients import settings as serial_settings

        options = dict({"2.2": serial_settings.SERIAL_SETTINGS_V2_2, "3": serial_settings.SERIAL_SETTINGS_V2_2,
                        "4": serial_settings.SERIAL_SETTINGS_V4}.get(dsmr_version, serial_settings.SERIAL_SETTINGS_V5))
        options["timeout"] = timeout_s
        try:
            self._port = serialx.Serial(device, **options)
            self._port.open()
        except (serialx.SerialException, OSError) as exc:
            raise OSError(f"cannot open serial port {device}: {exc}") from exc

    def read(self) -> bytes:
        import serialx

        try:
            # One byte waits up to the timeout; whatever else has arrived comes with it.
            data = self._port.read(1)
            if data:
                data += self._port.read(self._port.in_waiting)
        except (serialx.SerialException, OSError) as exc:
            raise OSError(f"serial port failed: {exc}") from exc
        if not data:
            raise TimeoutError("no data")
        return data

    def close(self) -> None:
        self._port.close()


def open_p1(url: str, dsmr_version: str, timeout_s: float) -> P1Connection:
    """Open the P1 port named by ``url`` (tcp://host:port or a device path); OSError when it cannot."""
    if url.startswith("tcp://"):
        host, _, port = url[len("tcp://"):].rpartition(":")
        return TcpConnection(host.strip("[]"), int(port), timeout_s)
    return SerialConnection(url, dsmr_version, timeout_s)
