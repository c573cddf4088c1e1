"""thermostat_reader's deployment settings (environment, prefix HEATING_, or .env).

The process also serves the Pi's valve bridge, so its settings extend the
bridge's (HEATING_BRIDGE_*, HEATING_API_URL, HEATING_SERVICE_TOKEN).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from thermostat_reader.valve_bridge.settings import BridgeSettings


class ReaderSettings(BridgeSettings):
    #: Where advertisements come from: the Pi's Bluetooth adapter, or the simulated
    #: house's advertisement stream (HEATING_ADVERT_STREAM_URL).
    advert_source: Literal["bluetooth", "stream"] = "bluetooth"
    #: HTTP URL answering newline-delimited JSON advertisements (advert_source=stream).
    advert_stream_url: str | None = None
    #: Bluetooth adapter to scan with, e.g. hci0; empty: the default one.
    bluetooth_adapter: str = ""
    #: At most one stored reading per thermometer per this many seconds; the newest
    #: value of each interval is the one kept.
    interval_s: float = Field(60.0, ge=1, le=3600)
    #: Thermometers that are not configured are still reported (so the page can offer
    #: them), at most once per this many seconds each.
    unknown_interval_s: float = Field(300.0, ge=10, le=86400)
    #: How often the list of configured thermometers (and their bind keys) is fetched, seconds.
    thermometers_refresh_s: float = Field(300.0, ge=10, le=86400)
    #: Readings wait on disk when the API is unreachable, and are sent in order later: in the
    #: folder thermostat_reader/ of this directory (so services may share one HEATING_SPOOL_DIR).
    spool_dir: str = "/var/lib/heating/spool"
    #: Size limit of the spool, MB; when full, the oldest readings are dropped (logged).
    spool_max_mb: float = Field(50.0, gt=0, le=100_000)
    #: Readings per POST /api/readings (the API takes up to 1000).
    batch_size: int = Field(500, ge=1, le=1000)
    #: Wait before trying the API again after it failed, seconds.
    retry_s: float = Field(30.0, ge=0.1, le=3600)
    #: Timeout of one API call, seconds.
    api_timeout_s: float = Field(10.0, gt=0, le=120)
    #: Restart the scanner when no advertisement at all was heard for this long, seconds.
    watchdog_s: float = Field(300.0, ge=1, le=86400)
    #: After this many restarts in a row that brought nothing back, exit non-zero so the
    #: container (or systemd) restarts the whole process.
    max_restarts: int = Field(3, ge=0, le=1000)

    @model_validator(mode="after")
    def _stream_needs_url(self) -> "ReaderSettings":
        if self.advert_source == "stream" and not self.advert_stream_url:
            raise ValueError("advert_stream_url: HEATING_ADVERT_STREAM_URL is required when "
                             "HEATING_ADVERT_SOURCE=stream")
        return self

    @property
    def spool_path(self) -> Path:
        return Path(self.spool_dir) / "thermostat_reader"

    @property
    def spool_max_bytes(self) -> int:
        return int(self.spool_max_mb * 1_000_000)
