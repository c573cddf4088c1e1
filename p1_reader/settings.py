"""p1_reader's deployment settings (environment, prefix HEATING_, or .env)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator

from common.settings import ServiceSettings
from p1_reader.telegrams import SPECIFICATIONS


class P1Settings(ServiceSettings):
    #: The P1 port: a serial device (/dev/ttyUSB0), a TCP serial bridge (tcp://host:port, e.g. ser2net),
    #: or an MQTT topic raw telegrams are published to (mqtt://[user:password@]broker:1883/dsmr/raw,
    #: mqtts:// for TLS; without a topic dsmr-reader's dsmr/raw), beside an existing dsmr-reader.
    p1_url: str = "/dev/ttyUSB0"
    #: A CA bundle for an mqtts:// broker with a private certificate; empty: the system's CAs.
    mqtt_ca_file: str = ""
    #: The meter's DSMR version: 2.2, 3, 4, 5, or 5B (Belgian meters, gas on 24.2.3). It sets the
    #: serial settings (DSMR 4: 115200 7E1; DSMR 5: 115200 8N1) and how telegrams are read.
    p1_dsmr_version: str = "5"
    #: Reconnect when no byte arrived for this long, seconds (meters send every 1 to 10 s).
    p1_read_timeout_s: float = Field(60.0, ge=1, le=3600)
    #: At most one electricity reading per this many seconds (gas: every new meter reading).
    electricity_interval_s: float = Field(60.0, ge=1, le=3600)
    #: The controller API and the service token for its writes.
    api_url: str = "http://127.0.0.1:8000"
    service_token: str = ""

    required_secrets = ("HEATING_SERVICE_TOKEN",)

    def secrets(self) -> dict[str, str | None]:
        return {"HEATING_SERVICE_TOKEN": self.service_token or None}
    api_timeout_s: float = Field(10.0, gt=0, le=120)
    #: Meter readings wait on disk when the API is unreachable, and are sent in order later: in the
    #: folder p1_reader/ of this directory (so services may share one HEATING_SPOOL_DIR).
    spool_dir: str = "/var/lib/heating/spool"
    #: Size limit of the spool, MB; when full, the oldest readings are dropped (logged).
    spool_max_mb: float = Field(20.0, gt=0, le=100_000)
    batch_size: int = Field(500, ge=1, le=5000)
    #: Wait before trying the API again after it failed, seconds.
    retry_s: float = Field(30.0, ge=0.1, le=3600)

    @field_validator("p1_dsmr_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        key = value.strip().upper()
        if key not in SPECIFICATIONS:
            raise ValueError(f"unknown DSMR version {value!r}: use one of {', '.join(SPECIFICATIONS)}")
        return key

    @field_validator("p1_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value.startswith(("mqtt://", "mqtts://")):
            from common.mqtt import parse_mqtt_url

            topic = parse_mqtt_url(value).path
            if "#" in value or "+" in topic:  # "#" would otherwise be read as the URL's fragment
                raise ValueError("the P1 topic is one topic, without wildcards (mqtt://broker/dsmr/raw)")
        elif value.startswith("tcp://"):
            host, _, port = value[len("tcp://"):].rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("a TCP P1 URL looks like tcp://host:port")
        elif not value.startswith("/"):
            raise ValueError("p1_url must be a serial device path (/dev/ttyUSB0), tcp://host:port or "
                             "mqtt://broker:1883/dsmr/raw")
        return value

    @property
    def p1_display(self) -> str:
        """The P1 URL for the log: without a password."""
        parts = urlsplit(self.p1_url)
        if parts.password is None:
            return self.p1_url
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.hostname}:{parts.port or ''}"
                                         .rstrip(":")))

    @property
    def spool_path(self) -> Path:
        return Path(self.spool_dir) / "p1_reader"

    @property
    def spool_max_bytes(self) -> int:
        return int(self.spool_max_mb * 1_000_000)
