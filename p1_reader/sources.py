"""The bytes of a P1 port: a serial device, a TCP serial bridge such as ser2net, or an MQTT topic."""
from __future__ import annotations

import os
import queue
import socket
from typing import Protocol

#: dsmr-reader publishes each raw telegram, as read from the meter, to this topic by default
#: (its "MQTT: Telegram (as raw string)" setting, dsmr_mqtt/models/settings/telegram.py:
#: RawTelegramMQTTSettings.topic = 'dsmr/raw').
DSMR_READER_RAW_TOPIC = "dsmr/raw"


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


def as_telegram_bytes(payload: bytes) -> bytes:
    """One MQTT message as the bytes a meter sends: a publisher may have dropped the line ends after
    the CRC, or turned CR LF into LF (the CRC covers CR LF, so it is restored)."""
    text = payload.decode("ascii", errors="replace").strip("\0 \t\r\n")
    if "\r\n" not in text:
        text = text.replace("\n", "\r\n")
    return (text + "\r\n").encode("ascii", errors="replace")


class MqttConnection:
    """The telegrams published to an MQTT topic, one message each (as dsmr-reader sends them)."""

    def __init__(self, url: str, timeout_s: float, ca_file: str | None = None):
        from common.mqtt import make_client, parse_mqtt_url

        broker = parse_mqtt_url(url)
        self.topic = broker.path or DSMR_READER_RAW_TOPIC
        self.timeout_s = timeout_s
        self._messages: queue.Queue[bytes] = queue.Queue(maxsize=1000)
        self._client = make_client(broker, f"home-heating-p1-{socket.gethostname()}-{os.getpid()}", ca_file)
        self._client.on_connect = lambda client, *_: client.subscribe(self.topic, qos=0)
        self._client.on_message = self._on_message
        try:
            self._client.connect(broker.host, broker.port, keepalive=60)
        except (OSError, ValueError) as exc:
            raise OSError(f"cannot reach the MQTT broker {broker.host}:{broker.port}: {exc}") from exc
        self._client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        try:
            self._messages.put_nowait(as_telegram_bytes(message.payload))
        except queue.Full:
            pass  # the reader is stuck; the newest telegrams will do

    def read(self) -> bytes:
        try:
            return self._messages.get(timeout=self.timeout_s)
        except queue.Empty as exc:
            raise TimeoutError("no telegram") from exc

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def open_p1(url: str, dsmr_version: str, timeout_s: float, ca_file: str | None = None) -> P1Connection:
    """Open the P1 port named by ``url`` (tcp://host:port, mqtt(s)://broker[/topic] or a device path);
    OSError when it cannot."""
    if url.startswith(("mqtt://", "mqtts://")):
        return MqttConnection(url, timeout_s, ca_file)
    if url.startswith("tcp://"):
        host, _, port = url[len("tcp://"):].rpartition(":")
        return TcpConnection(host.strip("[]"), int(port), timeout_s)
    return SerialConnection(url, dsmr_version, timeout_s)
