"""The small interface between the bridge's request/response logic and a radio.

A transport writes one command frame to one valve and returns the status
notification the valve sent back. The Pi's bridge uses Bluetooth (``ble.py``),
tests a scripted fake, the simulated house its simulated valves.
"""
from __future__ import annotations

from typing import Protocol


class BluetoothTimeout(Exception):
    """The valve could not be connected or did not answer in time (retryable, later)."""


class NotPaired(Exception):
    """The valve refuses writes: it needs the PIN on its display first (firmware 1.48 and later)."""


class WrongPin(Exception):
    """The valve refused the PIN given for pairing."""


class ValveTransport(Protocol):
    def exchange(self, mac: str, frame: bytes, timeout_s: float) -> bytes:
        """Write ``frame`` to valve ``mac`` (upper case) and return its next notification.

        Guarantees an answer within about ``timeout_s`` seconds, a BluetoothTimeout, or
        NotPaired when the valve refuses writes until it is paired.
        """
        ...

    def pair(self, mac: str, pin: str, timeout_s: float) -> None:
        """Pair (bond) with valve ``mac`` by passkey entry of ``pin``; WrongPin, BluetoothTimeout.

        The bond is stored by the radio's stack (BlueZ, NimBLE), so it outlives restarts.
        """
        ...


class ScanPauser(Protocol):
    """Implemented by the thermometer scanner that shares the Pi's adapter.

    Some adapters cannot scan and connect at once; the bridge calls ``pause()``
    before connecting to a valve and ``resume()`` after, always in pairs.
    """

    def pause(self) -> None: ...

    def resume(self) -> None: ...
