"""The valve bridge's settings, for the settings object of the process that serves it.

thermostat_reader's settings class derives from ``BridgeSettings`` so the
process keeps one settings object; every field reads ``HEATING_<NAME>``.
"""
from __future__ import annotations

from pydantic import field_validator

from common.settings import ServiceSettings
from thermostat_reader.valve_bridge.core import normalise_mac


class BridgeSettings(ServiceSettings):
    #: Serve the valve bridge at all (HEATING_BRIDGE_ENABLED).
    bridge_enabled: bool = True
    #: Address and port the bridge listens on (HEATING_BRIDGE_HOST, HEATING_BRIDGE_PORT).
    bridge_host: str = "0.0.0.0"
    bridge_port: int = 8091
    #: A fixed list of valve MACs, comma-separated (HEATING_BRIDGE_VALVES=00:1A:22:0C:3B:5D,...).
    #: When empty, the valves come from the controller API: those whose bridge has kind 'pi'.
    bridge_valves: str = ""
    #: Only valves of the bridge with this name (when several 'pi' bridges exist); empty: every 'pi' bridge.
    bridge_name: str = ""
    #: How often the valve list is fetched again from the API, seconds.
    bridge_refresh_s: float = 300.0
    #: How long one valve may take to answer one command, seconds; connection attempts per command.
    bridge_timeout_s: float = 10.0
    bridge_connect_attempts: int = 3
    #: Pause the thermometer scan while connecting to a valve (needed by many adapters).
    bridge_pause_scan: bool = True
    #: The controller API and its service token (HEATING_API_URL, HEATING_SERVICE_TOKEN).
    api_url: str = "http://127.0.0.1:8000"
    service_token: str = ""
    #: What the control loop must send as "Authorization: Bearer <token>" (HEATING_BRIDGE_TOKEN); the
    #: same value goes into this bridge's setup on the page. Empty: the bridge refuses every request.
    bridge_token: str = ""

    required_secrets = ("HEATING_SERVICE_TOKEN", "HEATING_BRIDGE_TOKEN")

    def secrets(self) -> dict[str, str | None]:
        return {"HEATING_SERVICE_TOKEN": self.service_token or None,
                "HEATING_BRIDGE_TOKEN": (self.bridge_token or None) if self.bridge_enabled else "unused"}

    @field_validator("bridge_valves")
    @classmethod
    def _macs(cls, value: str) -> str:
        for mac in (part.strip() for part in value.split(",")):
            if mac:
                try:
                    normalise_mac(mac)
                except ValueError:
                    raise ValueError(f"{mac!r} is not a Bluetooth MAC such as 00:1A:22:0C:3B:5D") from None
        return value

    @field_validator("bridge_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("bridge_port must be 0 to 65535")
        return value

    @property
    def static_valve_macs(self) -> list[str]:
        return [normalise_mac(part.strip()) for part in self.bridge_valves.split(",") if part.strip()]
