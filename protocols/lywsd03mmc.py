"""Advertisements of Xiaomi LYWSD03MMC thermometers (and their custom firmwares).

A pure codec: ``decode(service_uuid, payload, mac, bind_key)`` takes the
service data of one advertisement (what bleak reports as
``AdvertisementData.service_data[uuid]``) and returns a complete
:class:`Reading`, or raises a :class:`DecodeError` saying why not.

Formats (see docs/protocols.md for the sources of every layout):

============  ======  ===========================================================
format        UUID    payload
============  ======  ===========================================================
``atc1441``   0x181A  13 bytes, big-endian: MAC, temp ×0.1, hum %, batt %, mV, counter
``pvvx``      0x181A  15 bytes, little-endian: MAC reversed, temp ×0.01, hum ×0.01,
                      mV, batt %, counter, flags; or 11 bytes AES-CCM encrypted
``bthome``    0xFCD2  BTHome v2 objects (plain, or AES-CCM with a bind key)
``mibeacon``  0xFE95  Xiaomi MiBeacon (stock firmware; v4/v5 encrypted with a bind key)
============  ======  ===========================================================

Duplicates are not filtered here: ``packet_id`` lets the caller do that.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

__all__ = [
    "Reading", "DecodeError", "BadPayload", "NeedsBindKey", "WrongBindKey", "NeedsMac",
    "NoMeasurement", "UnsupportedService", "decode", "normalize_service_uuid",
    "UUID_ENVIRONMENTAL", "UUID_BTHOME", "UUID_MIBEACON", "service_uuid_128",
    "BTHOME_OBJECTS", "MIBEACON_OBJECTS", "encode_bthome", "encode_pvvx",
]

UUID_ENVIRONMENTAL = 0x181A
UUID_BTHOME = 0xFCD2
UUID_MIBEACON = 0xFE95
_BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Reading:
    """One decoded advertisement. Fields a format does not carry are None."""

    format: str
    mac: str | None
    temperature_c: float | None = None
    humidity_pct: float | None = None
    battery_pct: int | None = None
    battery_mv: int | None = None
    #: The sender's packet counter or id (u8 for most formats, u32 for encrypted
    #: BTHome and MiBeacon): equal ids from one device are the same measurement.
    packet_id: int | None = None
    encrypted: bool = False

    @property
    def voltage_v(self) -> float | None:
        return None if self.battery_mv is None else self.battery_mv / 1000

    @property
    def has_measurement(self) -> bool:
        return self.temperature_c is not None or self.humidity_pct is not None

    def values(self) -> dict:
        """The measured values as a JSON-ready dict (absent ones left out)."""
        out: dict = {"format": self.format}
        for key in ("temperature_c", "humidity_pct", "battery_pct", "battery_mv"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.battery_mv is not None:
            out["voltage_v"] = self.voltage_v
        return out


# --------------------------------------------------------------------------- errors


class DecodeError(ValueError):
    """The payload could not be turned into a reading."""


class BadPayload(DecodeError):
    """The bytes do not follow the format (wrong length, truncated object, bad version)."""


class UnsupportedService(DecodeError):
    """The service UUID is none of the thermometer formats."""


class NeedsBindKey(DecodeError):
    """The advertisement is encrypted and no bind key was given."""


class WrongBindKey(DecodeError):
    """The advertisement is encrypted and the bind key does not open it."""


class NeedsMac(DecodeError):
    """Decryption needs the sender's MAC address and the payload does not carry it."""


class NoMeasurement(DecodeError):
    """A valid advertisement that carries no temperature or humidity (e.g. MiBeacon pairing beacons)."""


# --------------------------------------------------------------------------- helpers


def normalize_service_uuid(service_uuid: str | int) -> int:
    """The 16-bit UUID of ``181a``, ``0x181A``, ``fcd2`` or the 128-bit Bluetooth base form.

    Raises UnsupportedService for anything else (including other 128-bit UUIDs).
    """
    if isinstance(service_uuid, int):
        value = service_uuid
    else:
        text = service_uuid.strip().lower()
        if text.startswith("0x"):
            text = text[2:]
        if len(text) == 36 and text.startswith("0000") and text.endswith(_BASE_UUID_SUFFIX):
            text = text[4:8]
        if not (1 <= len(text) <= 4) or any(c not in "0123456789abcdef" for c in text):
            raise UnsupportedService(
                f"service UUID {service_uuid!r} is not a 16-bit UUID such as 181a, fcd2 or fe95"
            )
        value = int(text, 16)
    if value not in (UUID_ENVIRONMENTAL, UUID_BTHOME, UUID_MIBEACON):
        raise UnsupportedService(
            f"service UUID 0x{value:04x} is not a thermometer format (181a, fcd2 or fe95)"
        )
    return value


def service_uuid_128(uuid16: int) -> str:
    """The 128-bit string form bleak uses for a 16-bit service UUID."""
    return f"0000{uuid16:04x}{_BASE_UUID_SUFFIX}"


def _mac_text(display_order: bytes) -> str:
    return ":".join(f"{b:02X}" for b in display_order)


def _mac_bytes(mac: str | None) -> bytes | None:
    """The 6 bytes of a MAC given as text, in display order."""
    if mac is None:
        return None
    digits = mac.replace(":", "").replace("-", "").strip()
    if len(digits) != 12:
        raise BadPayload(f"MAC {mac!r} is not 6 bytes")
    try:
        return bytes.fromhex(digits)
    except ValueError as exc:
        raise BadPayload(f"MAC {mac!r} is not hexadecimal") from exc


def _check_key(bind_key: bytes | None, format_name: str) -> bytes:
    if bind_key is None:
        raise NeedsBindKey(f"{format_name} advertisement is encrypted: the thermometer's bind key is needed")
    if len(bind_key) != 16:
        raise WrongBindKey(f"bind key must be 16 bytes (32 hex digits), got {len(bind_key)}")
    return bind_key


def _open(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes | None, format_name: str) -> bytes:
    try:
        return AESCCM(key, tag_length=4).decrypt(nonce, ciphertext_and_tag, aad)
    except InvalidTag as exc:
        raise WrongBindKey(f"{format_name} advertisement does not decrypt with this bind key") from exc


def _scaled(raw: float, factor: float) -> float:
    # Rounded so that e.g. 2397 × 0.01 is 23.97, not 23.970000000000002.
    return round(raw * factor, 6)


# --------------------------------------------------------------------------- 0x181A: ATC1441 and pvvx

# pvvx "custom" format (pvvx/ATC_MiThermometer README), little-endian after the reversed MAC.
_PVVX = struct.Struct("<hHHBBB")
# atc1441 format (atc1441/ATC_MiThermometer README), big-endian after the MAC.
_ATC1441 = struct.Struct(">hBBHB")
# pvvx encrypted custom format, decrypted body.
_PVVX_ENCRYPTED_BODY = struct.Struct("<hHBB")


def _decode_181a(payload: bytes, mac: bytes | None, bind_key: bytes | None) -> Reading:
    if len(payload) == 15:
        temp, hum, mv, batt, counter, _flags = _PVVX.unpack_from(payload, 6)
        return Reading(
            format="pvvx", mac=_mac_text(payload[5::-1]),
            temperature_c=_scaled(temp, 0.01), humidity_pct=_scaled(hum, 0.01),
            battery_pct=batt, battery_mv=mv, packet_id=counter,
        )
    if len(payload) == 13:
        temp, hum, batt, mv, counter = _ATC1441.unpack_from(payload, 6)
        return Reading(
            format="atc1441", mac=_mac_text(payload[:6]),
            temperature_c=_scaled(temp, 0.1), humidity_pct=float(hum),
            battery_pct=batt, battery_mv=mv, packet_id=counter,
        )
    if len(payload) == 11:
        # pvvx encrypted custom: counter, 6 encrypted bytes, 4-byte tag. The nonce
        # repeats the AD header (length, type 0x16, UUID 1a 18) as the firmware sends it.
        key = _check_key(bind_key, "pvvx")
        if mac is None:
            raise NeedsMac("encrypted pvvx advertisement: the sender's MAC is needed to decrypt it")
        counter = payload[0]
        nonce = mac[::-1] + bytes([len(payload) + 3, 0x16, 0x1A, 0x18, counter])
        body = _open(key, nonce, payload[1:], b"\x11", "pvvx")
        temp, hum, batt, _flags = _PVVX_ENCRYPTED_BODY.unpack(body)
        return Reading(
            format="pvvx", mac=_mac_text(mac), temperature_c=_scaled(temp, 0.01),
            humidity_pct=_scaled(hum, 0.01), battery_pct=min(batt, 100), packet_id=counter,
            encrypted=True,
        )
    raise BadPayload(
        f"0x181A payload of {len(payload)} bytes is neither atc1441 (13), pvvx (15) nor encrypted pvvx (11)"
    )


# --------------------------------------------------------------------------- 0xFCD2: BTHome v2


class BthomeObject(NamedTuple):
    name: str
    length: int  # bytes of the value; 0 = a length byte follows the id
    signed: bool = False
    factor: float = 1


# Every BTHome v2 object id (bthome-ble src/bthome_ble/const.py MEAS_TYPES), so a
# thermometer's payload can be walked past objects this system does not use.
BTHOME_OBJECTS: dict[int, BthomeObject] = {
    0x00: BthomeObject("packet_id", 1),
    0x01: BthomeObject("battery_pct", 1),
    0x02: BthomeObject("temperature_c", 2, True, 0.01),
    0x03: BthomeObject("humidity_pct", 2, False, 0.01),
    0x04: BthomeObject("pressure_hpa", 3, False, 0.01),
    0x05: BthomeObject("illuminance_lx", 3, False, 0.01),
    0x06: BthomeObject("mass_kg", 2, False, 0.01),
    0x07: BthomeObject("mass_lb", 2, False, 0.01),
    0x08: BthomeObject("dew_point_c", 2, True, 0.01),
    0x09: BthomeObject("count_u8", 1),
    0x0A: BthomeObject("energy_kwh", 3, False, 0.001),
    0x0B: BthomeObject("power_w", 3, False, 0.01),
    0x0C: BthomeObject("voltage_v", 2, False, 0.001),
    0x0D: BthomeObject("pm25_ugm3", 2),
    0x0E: BthomeObject("pm10_ugm3", 2),
    0x0F: BthomeObject("generic_boolean", 1),
    0x10: BthomeObject("power_on", 1),
    0x11: BthomeObject("opening", 1),
    0x12: BthomeObject("co2_ppm", 2),
    0x13: BthomeObject("voc_ugm3", 2),
    0x14: BthomeObject("moisture_pct", 2, False, 0.01),
    0x15: BthomeObject("battery_low", 1),
    0x16: BthomeObject("battery_charging", 1),
    0x17: BthomeObject("carbon_monoxide", 1),
    0x18: BthomeObject("cold", 1),
    0x19: BthomeObject("connectivity", 1),
    0x1A: BthomeObject("door", 1),
    0x1B: BthomeObject("garage_door", 1),
    0x1C: BthomeObject("gas_detected", 1),
    0x1D: BthomeObject("heat", 1),
    0x1E: BthomeObject("light", 1),
    0x1F: BthomeObject("lock", 1),
    0x20: BthomeObject("moisture_detected", 1),
    0x21: BthomeObject("motion", 1),
    0x22: BthomeObject("moving", 1),
    0x23: BthomeObject("occupancy", 1),
    0x24: BthomeObject("plug", 1),
    0x25: BthomeObject("presence", 1),
    0x26: BthomeObject("problem", 1),
    0x27: BthomeObject("running", 1),
    0x28: BthomeObject("safety", 1),
    0x29: BthomeObject("smoke", 1),
    0x2A: BthomeObject("sound", 1),
    0x2B: BthomeObject("tamper", 1),
    0x2C: BthomeObject("vibration", 1),
    0x2D: BthomeObject("window", 1),
    0x2E: BthomeObject("humidity_pct", 1),
    0x2F: BthomeObject("moisture_pct_u8", 1),
    0x3A: BthomeObject("button", 1),
    0x3B: BthomeObject("command", -1),  # length byte: low 5 bits = argument bytes after the opcode
    0x3C: BthomeObject("dimmer", 2),
    0x3D: BthomeObject("count_u16", 2),
    0x3E: BthomeObject("count_u32", 4),
    0x3F: BthomeObject("rotation_deg", 2, True, 0.1),
    0x40: BthomeObject("distance_mm", 2),
    0x41: BthomeObject("distance_m", 2, False, 0.1),
    0x42: BthomeObject("duration_s", 3, False, 0.001),
    0x43: BthomeObject("current_a", 2, False, 0.001),
    0x44: BthomeObject("speed_ms", 2, False, 0.01),
    0x45: BthomeObject("temperature_c", 2, True, 0.1),
    0x46: BthomeObject("uv_index", 1, False, 0.1),
    0x47: BthomeObject("volume_l_u16", 2, False, 0.1),
    0x48: BthomeObject("volume_ml", 2),
    0x49: BthomeObject("volume_flow_m3h", 2, False, 0.001),
    0x4A: BthomeObject("voltage_v", 2, False, 0.1),
    0x4B: BthomeObject("gas_m3_u24", 3, False, 0.001),
    0x4C: BthomeObject("gas_m3_u32", 4, False, 0.001),
    0x4D: BthomeObject("energy_kwh_u32", 4, False, 0.001),
    0x4E: BthomeObject("volume_l_u32", 4, False, 0.001),
    0x4F: BthomeObject("water_l", 4, False, 0.001),
    0x50: BthomeObject("timestamp_s", 4),
    0x51: BthomeObject("acceleration_ms2", 2, False, 0.001),
    0x52: BthomeObject("gyroscope_dps", 2, False, 0.001),
    0x53: BthomeObject("text", 0),
    0x54: BthomeObject("raw", 0),
    0x55: BthomeObject("volume_storage_l", 4, False, 0.001),
    0x56: BthomeObject("conductivity_uscm", 2),
    0x57: BthomeObject("temperature_c_s8", 1, True),
    0x58: BthomeObject("temperature_c_s8_035", 1, True, 0.35),
    0x59: BthomeObject("count_s8", 1, True),
    0x5A: BthomeObject("count_s16", 2, True),
    0x5B: BthomeObject("count_s32", 4, True),
    0x5C: BthomeObject("power_w_s32", 4, True, 0.01),
    0x5D: BthomeObject("current_a_s16", 2, True, 0.001),
    0x5E: BthomeObject("direction_deg", 2, False, 0.01),
    0x5F: BthomeObject("precipitation_mm", 2, False, 0.1),
    0x60: BthomeObject("channel", 1),
    0x61: BthomeObject("rotational_speed_rpm", 2),
    0x62: BthomeObject("speed_ms_s32", 4, True, 0.000001),
    0x63: BthomeObject("acceleration_ms2_s32", 4, True, 0.000001),
    0x64: BthomeObject("light_level", 1),
    0x65: BthomeObject("settings_revision", 1),
    0xF0: BthomeObject("device_type_id", 2),
    0xF1: BthomeObject("firmware_version_u32", 4),
    0xF2: BthomeObject("firmware_version_u24", 3),
}

# Which BTHome objects become which Reading field (first occurrence wins).
_BTHOME_FIELDS = {"packet_id", "battery_pct", "temperature_c", "humidity_pct", "voltage_v"}


def _bthome_objects(body: bytes) -> dict[str, float]:
    values: dict[str, float] = {}
    pos = 0
    while pos < len(body):
        object_id = body[pos]
        spec = BTHOME_OBJECTS.get(object_id)
        if spec is None:
            raise BadPayload(f"BTHome object id 0x{object_id:02x} at byte {pos} is unknown: cannot walk past it")
        if spec.length > 0:
            start, length = pos + 1, spec.length
        else:
            if pos + 1 >= len(body):
                raise BadPayload(f"BTHome object 0x{object_id:02x} lacks its length byte")
            start = pos + 2
            length = (body[pos + 1] & 0x1F) + 1 if spec.length < 0 else body[pos + 1]
        end = start + length
        if end > len(body):
            raise BadPayload(f"BTHome object 0x{object_id:02x} is truncated ({len(body) - start} of {length} bytes)")
        if spec.name in _BTHOME_FIELDS and spec.name not in values:
            raw = int.from_bytes(body[start:end], "little", signed=spec.signed)
            values[spec.name] = _scaled(raw, spec.factor)
        pos = end
    return values


def _decode_bthome(payload: bytes, mac: bytes | None, bind_key: bytes | None) -> Reading:
    if not payload:
        raise BadPayload("BTHome payload is empty")
    device_info = payload[0]
    version = device_info >> 5
    if version != 2:
        raise BadPayload(f"BTHome version {version} in the device-info byte; only version 2 is supported")
    encrypted = bool(device_info & 0x01)
    body = payload[1:]
    if device_info & 0x02:
        if len(body) < 6:
            raise BadPayload("BTHome payload announces a MAC but is shorter than 6 bytes")
        mac = body[5::-1]
        body = body[6:]
    packet_id = None
    if encrypted:
        key = _check_key(bind_key, "BTHome")
        if mac is None:
            raise NeedsMac("encrypted BTHome advertisement: the sender's MAC is needed to decrypt it")
        if len(body) < 9:
            raise BadPayload(f"encrypted BTHome payload of {len(body)} bytes is too short")
        counter = body[-8:-4]
        nonce = mac + b"\xd2\xfc" + bytes([device_info]) + counter
        body = _open(key, nonce, body[:-8] + body[-4:], None, "BTHome")
        packet_id = int.from_bytes(counter, "little")
    values = _bthome_objects(body)
    if "packet_id" in values and packet_id is None:
        packet_id = int(values["packet_id"])
    voltage = values.get("voltage_v")
    temperature = values.get("temperature_c")
    humidity = values.get("humidity_pct")
    return Reading(
        format="bthome", mac=_mac_text(mac) if mac is not None else None,
        temperature_c=float(temperature) if temperature is not None else None,
        humidity_pct=float(humidity) if humidity is not None else None,
        battery_pct=int(values["battery_pct"]) if "battery_pct" in values else None,
        battery_mv=round(voltage * 1000) if voltage is not None else None,
        packet_id=packet_id, encrypted=encrypted,
    )


# --------------------------------------------------------------------------- 0xFE95: Xiaomi MiBeacon


class MiObject(NamedTuple):
    layout: str  # struct format of the value, little-endian
    fields: tuple[tuple[str, float], ...]  # (Reading field, factor) per struct item


# MiBeacon object types a thermometer sends (xiaomi-ble src/xiaomi_ble/parser.py:
# obj1004, obj1006, obj100a, obj100d, obj4803, obj4c01, obj4c02, obj4c03, obj4c08).
MIBEACON_OBJECTS: dict[int, MiObject] = {
    0x1004: MiObject("<h", (("temperature_c", 0.1),)),
    0x1006: MiObject("<H", (("humidity_pct", 0.1),)),
    0x100A: MiObject("<B", (("battery_pct", 1),)),
    0x100D: MiObject("<hH", (("temperature_c", 0.1), ("humidity_pct", 0.1))),
    0x4803: MiObject("<B", (("battery_pct", 1),)),
    0x4C01: MiObject("<f", (("temperature_c", 1),)),
    0x4C02: MiObject("<B", (("humidity_pct", 1),)),
    0x4C03: MiObject("<B", (("battery_pct", 1),)),
    0x4C08: MiObject("<f", (("humidity_pct", 1),)),
}


def _decode_mibeacon(payload: bytes, mac: bytes | None, bind_key: bytes | None) -> Reading:
    if len(payload) < 5:
        raise BadPayload(f"MiBeacon payload of {len(payload)} bytes is shorter than its 5-byte header")
    frame_control = int.from_bytes(payload[0:2], "little")
    version = frame_control >> 12
    if frame_control & 0x80:
        raise BadPayload("MiBeacon mesh frames are not supported")
    if version < 2:
        raise BadPayload(f"MiBeacon version {version} is too old to carry objects")
    encrypted = bool(frame_control & 0x08)
    frame_counter = payload[4]
    pos = 5
    if frame_control & 0x10:
        if len(payload) < pos + 6:
            raise BadPayload("MiBeacon payload announces a MAC but is too short")
        mac = payload[pos:pos + 6][::-1]
        pos += 6
    if frame_control & 0x20:
        if len(payload) < pos + 1:
            raise BadPayload("MiBeacon payload announces a capability byte but is too short")
        capability = payload[pos]
        pos += 2 if capability & 0x20 else 1
    if not frame_control & 0x40:
        raise NoMeasurement("MiBeacon advertisement without an object (a beacon, not a measurement)")
    packet_id = frame_counter
    if encrypted:
        if version < 4:
            raise BadPayload(f"MiBeacon v{version} (legacy) encryption is not supported; flash pvvx firmware")
        key = _check_key(bind_key, "MiBeacon")
        if mac is None:
            raise NeedsMac("encrypted MiBeacon advertisement: the sender's MAC is needed to decrypt it")
        if len(payload) < pos + 3 + 7:
            raise BadPayload("encrypted MiBeacon payload is too short")
        ext_counter = payload[-7:-4]
        nonce = mac[::-1] + payload[2:5] + ext_counter
        objects = _open(key, nonce, payload[pos:-7] + payload[-4:], b"\x11", "MiBeacon")
        packet_id = frame_counter | int.from_bytes(ext_counter, "little") << 8
    else:
        objects = payload[pos:]
    values: dict[str, float] = {}
    opos = 0
    while opos < len(objects):
        if opos + 3 > len(objects):
            raise BadPayload("MiBeacon object header is truncated")
        object_type = int.from_bytes(objects[opos:opos + 2], "little")
        length = objects[opos + 2]
        value = objects[opos + 3:opos + 3 + length]
        if len(value) != length:
            raise BadPayload(f"MiBeacon object 0x{object_type:04x} is truncated")
        spec = MIBEACON_OBJECTS.get(object_type)
        if spec is not None and struct.calcsize(spec.layout) == length:
            for (field, factor), raw in zip(spec.fields, struct.unpack(spec.layout, value)):
                values.setdefault(field, _scaled(raw, factor) if factor != 1 or isinstance(raw, float) else raw)
        opos += 3 + length
    if not values:
        raise NoMeasurement("MiBeacon advertisement carries no temperature, humidity or battery object")
    temperature = values.get("temperature_c")
    humidity = values.get("humidity_pct")
    return Reading(
        format="mibeacon", mac=_mac_text(mac) if mac is not None else None,
        temperature_c=round(float(temperature), 2) if temperature is not None else None,
        humidity_pct=round(float(humidity), 2) if humidity is not None else None,
        battery_pct=int(values["battery_pct"]) if "battery_pct" in values else None,
        packet_id=packet_id, encrypted=encrypted,
    )


# --------------------------------------------------------------------------- entry point

_DECODERS = {
    UUID_ENVIRONMENTAL: _decode_181a,
    UUID_BTHOME: _decode_bthome,
    UUID_MIBEACON: _decode_mibeacon,
}


def decode(service_uuid: str | int, payload: bytes, mac: str | None = None,
           bind_key: bytes | None = None) -> Reading:
    """Decode one advertisement's service data.

    ``mac`` is the sender's address (needed to decrypt formats that do not carry
    it); ``bind_key`` the 16-byte key of encrypted formats. Returns a Reading
    whose ``mac`` is the one in the payload when present, else ``mac``. Raises a
    DecodeError subclass naming what is wrong; never anything else for any bytes.
    """
    uuid16 = normalize_service_uuid(service_uuid)
    mac_bytes = _mac_bytes(mac)
    try:
        reading = _DECODERS[uuid16](bytes(payload), mac_bytes, bind_key)
    except struct.error as exc:  # a layout shorter than announced
        raise BadPayload(f"payload is truncated: {exc}") from exc
    return reading


# --------------------------------------------------------------------------- reference encoders

def encode_pvvx(mac: str, temperature_c: float, humidity_pct: float, battery_mv: int,
                battery_pct: int, counter: int, flags: int = 0) -> bytes:
    """The 15-byte pvvx custom payload that ``decode`` turns back into these values."""
    mac_bytes = _mac_bytes(mac)
    assert mac_bytes is not None
    return mac_bytes[::-1] + _PVVX.pack(
        round(temperature_c * 100), round(humidity_pct * 100), battery_mv, battery_pct, counter & 0xFF, flags
    )


def encode_bthome(packet_id: int, temperature_c: float, humidity_pct: float,
                  battery_pct: int | None = None, battery_mv: int | None = None) -> bytes:
    """A plain BTHome v2 payload (objects in id order, as the pvvx firmware sends them)."""
    body = bytes([0x00, packet_id & 0xFF])
    if battery_pct is not None:
        body += bytes([0x01, battery_pct])
    body += b"\x02" + round(temperature_c * 100).to_bytes(2, "little", signed=True)
    body += b"\x03" + round(humidity_pct * 100).to_bytes(2, "little")
    if battery_mv is not None:
        body += b"\x0c" + battery_mv.to_bytes(2, "little")
    return bytes([0x40]) + body
