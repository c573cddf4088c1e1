"""The small interface between the bridge's request/response logic and a radio.

A transport writes one command frame to one valve and returns the status
notification the valve sent back. The Pi's bridge uses Bluetooth (``ble.py``),
tests a scripted fake, the simulated house its simulated valves.
"""
from __future__ import annotations

from typing import Protocol


class BluetoothTimeout(Exception):
    """The valve could not be connected or did not answer in time (retryable, later)."""


class ValveTransport(Protocol):
    def exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        """Write ``frame`` to valve ``mac`` (upper case) and return its next notification.

        Guarantees an answer within about ``timeout_s`` seconds or a BluetoothTimeout.
        """
        ...


class ScanPauser(Protocol):
    """Implemented by the thermometer scanner that shares the Pi's adapter.

    Some adapters cannot scan and connect at once; the bridge calls ``pause()``
    before connecting to a valve and ``resume()`` after, always in pairs.
    """

    def pause(self) -> None: ...

    def resume(self) -> None: ...
