"""Xiaomi LYWSD03MMC advertisements as the real payload bytes, and the thermometers that send them.

Pure encoders (values in, service-data bytes out, no I/O):

- ``encode_atc1441``: atc1441 custom firmware, service 0x181A, 13 bytes big-endian;
- ``encode_pvvx``: pvvx custom format, service 0x181A, 15 bytes little-endian;
- ``encode_bthome``: BTHome v2 (pvvx's default), service 0xFCD2;
- ``encode_mibeacon``: stock firmware MiBeacon v5, service 0xFE95, encrypted
  with the device's bind key (AES-CCM, 4-byte tag).

Layouts follow docs of the firmware authors and the tested parsers named in
/work/shared/docs/protocols.md; the tests reproduce its recorded vectors
byte for byte and decode our bytes with ``bthome_ble`` and ``xiaomi_ble``.

``Advertiser`` turns a room's temperature into the stream a real thermometer
produces: a new reading every few seconds (custom firmware) or ten minutes
(stock firmware), each packet repeated several times, with jitter, a varying
RSSI and the device's own resolution.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.ciphers.aead import AESCCM

UUID_181A = "0000181a-0000-1000-8000-00805f9b34fb"
UUID_BTHOME = "0000fcd2-0000-1000-8000-00805f9b34fb"
UUID_MIBEACON = "0000fe95-0000-1000-8000-00805f9b34fb"
SERVICE_UUID = {"atc1441": UUID_181A, "pvvx": UUID_181A, "bthome": UUID_BTHOME, "mibeacon": UUID_MIBEACON}

#: MiBeacon product id of the LYWSD03MMC.
LYWSD03MMC_PRODUCT_ID = 0x055B
#: Frame control of the LYWSD03MMC's encrypted v5 beacons: encrypted (0x0008),
#: MAC included (0x0010), object included (0x0040), version 5 (0x5000) and the
#: 0x0800 bit the device sets (seen in the recorded frame).
MIBEACON_FRAME_CONTROL = 0x5858
#: MiBeacon object types the LYWSD03MMC sends: type → (length, struct format, factor).
MIBEACON_OBJECTS = {
    "temperature_c": (0x1004, "<h", 10.0),
    "humidity_pct": (0x1006, "<H", 10.0),
    "battery_pct": (0x100A, "<B", 1.0),
}
#: BTHome v2 objects, in the order pvvx sends them: name → (object id, struct format, factor).
BTHOME_OBJECTS = (
    ("packet_id", 0x00, "<B", 1.0),
    ("battery_pct", 0x01, "<B", 1.0),
    ("temperature_c", 0x02, "<h", 100.0),
    ("humidity_pct", 0x03, "<H", 100.0),
    ("voltage_mv", 0x0C, "<H", 1.0),
)


class EncodeError(ValueError):
    """A value does not fit the format (out of range, bad MAC or key)."""


def _mac(mac: str) -> bytes:
    try:
        raw = bytes.fromhex(mac.replace(":", ""))
    except ValueError:
        raw = b""
    if len(raw) != 6:
        raise EncodeError(f"{mac!r} is not a MAC address like A4:C1:38:11:22:33")
    return raw


def _pack(fmt: str, value: float, what: str) -> bytes:
    try:
        return struct.pack(fmt, value)
    except struct.error:
        raise EncodeError(f"{what} {value} does not fit the format") from None


def encode_atc1441(mac: str, temperature_c: float, humidity_pct: float, battery_pct: int, battery_mv: int,
                   counter: int) -> bytes:
    """The 13-byte atc1441 payload: MAC, temp ×10 BE, humidity %, battery %, mV BE, frame counter."""
    return _mac(mac) + struct.pack(
        ">hBBHB", _checked(round(temperature_c * 10), -32768, 32767, "temperature"),
        _checked(round(humidity_pct), 0, 100, "humidity"), _checked(battery_pct, 0, 100, "battery"),
        _checked(battery_mv, 0, 65535, "battery_mv"), counter & 0xFF)


def encode_pvvx(mac: str, temperature_c: float, humidity_pct: float, battery_mv: int, battery_pct: int,
                counter: int, flags: int = 0) -> bytes:
    """The 15-byte pvvx custom payload: reversed MAC, temp ×100, humidity ×100, mV, %, counter, flags (LE)."""
    return _mac(mac)[::-1] + struct.pack(
        "<hHHBBB", _checked(round(temperature_c * 100), -32768, 32767, "temperature"),
        _checked(round(humidity_pct * 100), 0, 10000, "humidity"), _checked(battery_mv, 0, 65535, "battery_mv"),
        _checked(battery_pct, 0, 100, "battery"), counter & 0xFF, flags & 0xFF)


def encode_bthome(values: dict[str, float]) -> bytes:
    """A plain (unencrypted) BTHome v2 payload with the given objects, in BTHome id order.

    ``values`` keys: packet_id, battery_pct, temperature_c, humidity_pct, voltage_mv (any subset).
    """
    unknown = set(values) - {row[0] for row in BTHOME_OBJECTS}
    if unknown:
        raise EncodeError(f"BTHome objects not known here: {', '.join(sorted(unknown))}")
    body = b""
    for name, object_id, fmt, factor in BTHOME_OBJECTS:
        if name in values:
            body += bytes([object_id]) + _pack(fmt, round(values[name] * factor), name)
    # Device information: BTHome version 2 in bits 5–7, not encrypted, no MAC, not sleepy.
    return bytes([0x40]) + body


def encode_mibeacon(mac: str, bind_key: str, frame_counter: int, ext_counter: int, name: str,
                    value: float) -> bytes:
    """An encrypted MiBeacon v5 frame of the LYWSD03MMC carrying one object.

    ``name`` is temperature_c, humidity_pct or battery_pct. The nonce is the
    reversed MAC, product id, frame counter and the 3-byte extended counter;
    the associated data is 0x11; the tag has 4 bytes.
    """
    if name not in MIBEACON_OBJECTS:
        raise EncodeError(f"MiBeacon object {name!r} is not one of {', '.join(MIBEACON_OBJECTS)}")
    try:
        key = bytes.fromhex(bind_key)
    except ValueError:
        key = b""
    if len(key) != 16:
        raise EncodeError("the bind key must be 32 hex digits")
    object_type, fmt, factor = MIBEACON_OBJECTS[name]
    data = _pack(fmt, round(value * factor), name)
    plain = struct.pack("<HB", object_type, len(data)) + data
    header = struct.pack("<HHB", MIBEACON_FRAME_CONTROL, LYWSD03MMC_PRODUCT_ID, frame_counter & 0xFF)
    mac_reversed = _mac(mac)[::-1]
    ext = (ext_counter & 0xFFFFFF).to_bytes(3, "little")
    nonce = mac_reversed + header[2:5] + ext
    sealed = AESCCM(key, tag_length=4).encrypt(nonce, plain, b"\x11")
    return header + mac_reversed + sealed[:-4] + ext + sealed[-4:]


def _checked(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise EncodeError(f"{what} {value} outside {low}..{high}")
    return value


# -------------------------------------------------------------------------------- the devices

#: Seconds between new measurements and between advertisements, per format.
TIMING = {
    "pvvx": (10.0, 2.5),
    "bthome": (10.0, 2.5),
    "atc1441": (10.0, 2.5),
    "mibeacon": (600.0, 3.0),
}


@dataclass
class Advertisement:
    address: str
    rssi: int
    local_name: str
    service_data: dict[str, str]
    time: datetime

    def as_json(self) -> dict:
        return {"address": self.address, "rssi": self.rssi, "local_name": self.local_name,
                "service_data": self.service_data,
                "time": self.time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{self.time.microsecond // 1000:03d}Z"}


class Advertiser:
    """One thermometer: turns the room's air temperature into advertisements."""

    def __init__(self, mac: str, fmt: str, name: str, bind_key: str | None = None, *, seed: int = 0,
                 rssi_dbm: int = -70, battery_pct: int = 93, battery_mv: int = 2980):
        if fmt not in TIMING:
            raise EncodeError(f"unknown advertisement format {fmt!r}")
        self.mac, self.format, self.name, self.bind_key = mac.upper(), fmt, name, bind_key
        self.random = random.Random(f"{mac}-{seed}")
        self.rssi_dbm = rssi_dbm
        self.battery_pct, self.battery_mv = battery_pct, battery_mv
        self.counter = self.random.randrange(256)
        self.ext_counter = self.random.randrange(1 << 16)
        self._mi_cycle = 0
        self.payload: bytes | None = None
        self.next_measure: datetime | None = None
        self.next_advert: datetime | None = None

    def _measure(self, temperature_c: float, humidity_pct: float) -> None:
        self.counter = (self.counter + 1) & 0xFF
        if self.format == "pvvx":
            self.payload = encode_pvvx(self.mac, round(temperature_c, 2), round(humidity_pct, 2), self.battery_mv,
                                       self.battery_pct, self.counter, 0x05)
        elif self.format == "atc1441":
            self.payload = encode_atc1441(self.mac, round(temperature_c, 1), round(humidity_pct), self.battery_pct,
                                          self.battery_mv, self.counter)
        elif self.format == "bthome":
            self.payload = encode_bthome({"packet_id": self.counter, "battery_pct": self.battery_pct,
                                          "temperature_c": round(temperature_c, 2),
                                          "humidity_pct": round(humidity_pct, 2)})
        else:
            # Stock firmware cycles temperature, humidity and (now and then) battery.
            kind = ("temperature_c", "humidity_pct", "temperature_c", "humidity_pct", "battery_pct")[self._mi_cycle % 5]
            value = {"temperature_c": round(temperature_c, 1), "humidity_pct": round(humidity_pct, 1),
                     "battery_pct": self.battery_pct}[kind]
            self._mi_cycle += 1
            self.ext_counter += 1
            self.payload = encode_mibeacon(self.mac, self.bind_key or "", self.counter, self.ext_counter, kind, value)

    def poll(self, now: datetime, temperature_c: float, humidity_pct: float,
             min_interval_s: float = 0.0) -> Advertisement | None:
        """The advertisement due at ``now`` (None if none is). ``min_interval_s`` caps the rate (fast clocks)."""
        measure_s, advert_s = TIMING[self.format]
        if self.next_measure is None:
            self.next_measure = now + timedelta(seconds=self.random.uniform(0, measure_s))
            self.next_advert = now
            self._measure(temperature_c, humidity_pct)
        if now >= self.next_measure:
            self._measure(temperature_c, humidity_pct)
            self.next_measure = now + timedelta(seconds=max(measure_s, min_interval_s))
        if now < self.next_advert:
            return None
        # The advertisement went out when it was due (the caller may poll late).
        sent_at = max(self.next_advert, now - timedelta(seconds=1))
        # BLE adds 0–10 ms of random delay to every advertising event.
        self.next_advert = sent_at + timedelta(seconds=max(advert_s, min_interval_s) + self.random.uniform(0, 0.01))
        rssi = self.rssi_dbm + self.random.randint(-4, 4)
        return Advertisement(self.mac, rssi, self.name, {SERVICE_UUID[self.format]: self.payload.hex()}, sent_at)
