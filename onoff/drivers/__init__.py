"""Device drivers: one module per device kind, behind small interfaces.

Every failure is one of two named errors: ``RetryableDeviceError`` (the
device or its bridge may answer later: timeouts, busy, bad answers, network)
and ``PermanentDeviceError`` (retrying the same call will not help: unknown
valve, refused request). Neither ever carries a state the device did not
report.
"""
from __future__ import annotations

from typing import Protocol


class DeviceError(Exception):
    """A device call failed; ``code`` is a short machine-readable cause."""

    def __init__(self, message: str, code: str = "error"):
        super().__init__(message)
        self.code = code


class RetryableDeviceError(DeviceError):
    """Try again later (with back-off)."""


class PermanentDeviceError(DeviceError):
    """Do not retry the same call; the configuration or request must change."""


class ValveDriver(Protocol):
    def set_mode(self, mac: str, mode: str) -> dict:
        """Switch the valve to "manual" or "auto"; returns the status the valve reported."""

    def set_target(self, mac: str, target_c: float) -> dict:
        """Set the valve's target (°C, 0.5 steps, 4.5–30.0); returns the status the valve reported."""

    def status(self, mac: str, refresh: bool = False) -> dict:
        """The valve's status (asked of the valve itself when refresh)."""


class BoilerDriver(Protocol):
    def ask_heat(self, heat: bool) -> dict:
        """Ask the boiler for heat (True) or not (False); returns the status read back afterwards."""

    def to_clock_program(self) -> dict:
        """Hand the boiler back to its own clock program; returns the status read back afterwards."""

    def status(self) -> dict:
        """The boiler's status as a boiler-state record (heat_demand, user_mode, setpoint_c, indicator)."""
