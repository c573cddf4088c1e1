"""protocols.lywsd03mmc: every advertisement format decoded from recorded bytes.

Each vector names its source. Where the source library decodes the same bytes
(bthome-ble, xiaomi-ble), the test also runs that library as an independent
cross-check of the values.
"""
from __future__ import annotations

import pytest

from protocols import lywsd03mmc
from protocols.lywsd03mmc import (
    BadPayload, NeedsBindKey, NeedsMac, NoMeasurement, Reading, UnsupportedService, WrongBindKey, decode,
)

K = bytes.fromhex


def R(fmt, mac, t=None, h=None, b=None, mv=None, pid=None, enc=False) -> Reading:
    return Reading(format=fmt, mac=mac, temperature_c=t, humidity_pct=h, battery_pct=b, battery_mv=mv,
                   packet_id=pid, encrypted=enc)


# (service uuid, payload, mac, bind key, expected reading)
VECTORS = [
    # --- ATC1441 (0x181A, 13 bytes). Service data cut from the HCI packets in
    # custom-components/ble_monitor custom_components/ble_monitor/test/test_atc_parser.py
    pytest.param("181a", "a4c1380283f400a22f5f0bf819", None, None,  # test_atc_atc1441
                 R("atc1441", "A4:C1:38:02:83:F4", 16.2, 47.0, 95, 3064, 25), id="atc1441-ble_monitor-1"),
    pytest.param("181a", "a4c138bc7c4e0102284f0b6720", None, None,  # test_atc_atc1441_ext
                 R("atc1441", "A4:C1:38:BC:7C:4E", 25.8, 40.0, 79, 2919, 32), id="atc1441-ble_monitor-ext"),
    # ATC1441 as logged by JsBergbau/MiTemperature2 README.md ("BLE packet: ... 1110161a18<payload>"),
    # with the values that log prints under each packet.
    pytest.param("181a", "a4c138aabbcc00c42914094c38", None, None,
                 R("atc1441", "A4:C1:38:AA:BB:CC", 19.6, 41.0, 20, 2380, 0x38), id="atc1441-mitemperature2-1"),
    pytest.param("181a", "a4c138aabbcc00b22c530b84c3", None, None,
                 R("atc1441", "A4:C1:38:AA:BB:CC", 17.8, 44.0, 83, 2948, 0xC3), id="atc1441-mitemperature2-2"),
    # --- pvvx custom (0x181A, 15 bytes): ble_monitor custom_components/ble_monitor/test/test_atc_parser.py
    pytest.param("181a", "f4830238c1a4a9066911b60b58f70d", None, None,  # test_atc_custom
                 R("pvvx", "A4:C1:38:02:83:F4", 17.05, 44.57, 88, 2998, 247), id="pvvx-ble_monitor-custom"),
    pytest.param("181a", "b2188d38c1a42b089011f70a43200f", None, None,  # test_atc_custom_v2_9
                 R("pvvx", "A4:C1:38:8D:18:B2", 20.91, 44.96, 67, 2807, 32), id="pvvx-ble_monitor-v2_9"),
    pytest.param("181a", "8b376338c1a4ce0913107f0b521204", None, None,  # test_atc_custom_ext
                 R("pvvx", "A4:C1:38:63:37:8B", 25.1, 41.15, 82, 2943, 18), id="pvvx-ble_monitor-ext"),
    # --- pvvx custom encrypted (0x181A, 11 bytes), same ble_monitor file, test_atc_custom_encrypted
    pytest.param("0x181A", "11d603fbfa7b6dfb1e26fd", "A4:C1:38:8D:18:B2", "b9ea895fac7eea6d30532432a516f3a3",
                 R("pvvx", "A4:C1:38:8D:18:B2", 23.45, 41.73, 61, None, 17, True), id="pvvx-encrypted-ble_monitor"),
    # --- BTHome v2 plain (0xFCD2): Bluetooth-Devices/bthome-ble tests/test_parser_v2.py
    pytest.param("fcd2", "400009015d025d0903b718", "A4:C1:38:8D:18:B2", None,
                 # test_bthome_packet_id_temperature_humidity_battery
                 R("bthome", "A4:C1:38:8D:18:B2", 23.97, 63.27, 93, None, 9), id="bthome-packet-id-temp-hum-batt"),
    pytest.param("fcd2", "4002ca0903bf13", "A4:C1:38:8D:18:B2", None,  # test_bthome_temperature_humidity
                 R("bthome", "A4:C1:38:8D:18:B2", 25.06, 50.55), id="bthome-temp-hum"),
    pytest.param("0000fcd2-0000-1000-8000-00805f9b34fb", "40002e01641e012e34451601", "54:48:E6:8F:80:A5", None,
                 # test_shelly_blu_ht_display_zb: 0x2e humidity u8, 0x45 temperature ×0.1, a binary object between
                 R("bthome", "54:48:E6:8F:80:A5", 27.8, 52.0, 100, None, 46), id="bthome-shelly-blu-ht-display"),
    # --- BTHome v2 encrypted: same bthome-ble file, bind key 231d39c1d7cc1ab1aee224cd096db932
    pytest.param("fcd2", "41a47266c95f730011223378237214", "54:48:E6:8F:80:A5", "231d39c1d7cc1ab1aee224cd096db932",
                 # test_bindkey_correct
                 R("bthome", "54:48:E6:8F:80:A5", 25.06, 50.55, None, None, 0x33221100, True), id="bthome-enc-1"),
    pytest.param("fcd2", "41e445f3c9962b332211006c7c4519", "54:48:E6:8F:80:A5", "231d39c1d7cc1ab1aee224cd096db932",
                 # test_same_service_data (encryption counter 1122867)
                 R("bthome", "54:48:E6:8F:80:A5", 25.06, 50.55, None, None, 1122867, True), id="bthome-enc-2"),
    pytest.param("fcd2", "41ba0db07aeef6ffffffff21fd4600", "54:48:E6:8F:80:A5", "231d39c1d7cc1ab1aee224cd096db932",
                 # test_reset_encryption_counter (counter 4294967295)
                 R("bthome", "54:48:E6:8F:80:A5", 25.07, 50.55, None, None, 4294967295, True), id="bthome-enc-3"),
    # --- Xiaomi MiBeacon (0xFE95): Bluetooth-Devices/xiaomi-ble tests/test_parser.py
    pytest.param("fe95", "58585b0550f4830238c1a495ef58763c26000097e2abb5", "A4:C1:38:02:83:F4",
                 "e9ea895fac7cca6d30532432a516f3a8",
                 # test_Xiaomi_LYWSD03MMC_encrypted (v5; xiaomi-ble truncates 46.7 to 46 for this model)
                 R("mibeacon", "A4:C1:38:02:83:F4", None, 46.7, None, None, 0x2650, True), id="mibeacon-lywsd03mmc-enc"),
    pytest.param("fe95", "5858e4162c84535638c1a42b6ef2e91200006c884d9e", "A4:C1:38:56:53:84",
                 "a115210eed7a88e50ad52662e732a9fb",
                 # test_Xiaomi_LYWSD02MMC (v5 encrypted, humidity 58)
                 R("mibeacon", "A4:C1:38:56:53:84", None, 58.0, None, None, 0x122C, True), id="mibeacon-lywsd02mmc-enc"),
    pytest.param("fe95", "4858422529202d8c7a76b756a82a0078b8224e", "A4:C1:38:0E:FD:78",
                 "19b1c678ab0a8bc3dc77765f059188d4",
                 # test_Xiaomi_LYWSD02MMC_v2_temperature (v5 encrypted, no MAC in payload, float object 0x4c01)
                 R("mibeacon", "A4:C1:38:0E:FD:78", 26.1, None, None, None, 0x2AA829, True), id="mibeacon-float-temp-enc"),
    pytest.param("fe95", "485903 12a41b776e7c96add7000000f2bf545b".replace(" ", ""), "2C:11:65:25:70:04",
                 "b2cf9a553d53571b5657defd582d676e",
                 # test_Xiaomi_XMWSDJ04MMC (v5 encrypted, humidity 45.0)
                 R("mibeacon", "2C:11:65:25:70:04", None, 45.0, None, None, 0xA4, True), id="mibeacon-xmwsdj04mmc-enc"),
    pytest.param("fe95", "50305b05034c94b438c1a40d10041001ea01", "A4:C1:38:B4:94:4C", None,
                 # test_Xiaomi_LYWSD03MMC (v3 plain, temperature+humidity object 0x100d)
                 R("mibeacon", "A4:C1:38:B4:94:4C", 27.2, 49.0, None, None, 3), id="mibeacon-lywsd03mmc-plain"),
]


@pytest.mark.parametrize("uuid, payload_hex, mac, key_hex, expected", VECTORS)
def test_decodes_recorded_advertisements(uuid, payload_hex, mac, key_hex, expected):
    key = K(key_hex) if key_hex else None
    assert decode(uuid, K(payload_hex), mac=mac, bind_key=key) == expected


@pytest.mark.parametrize("payload_hex, mac, key_hex", [
    v.values[1:4] for v in VECTORS if v.values[0] in ("fcd2", "0000fcd2-0000-1000-8000-00805f9b34fb")
])
def test_bthome_agrees_with_bthome_ble(payload_hex, mac, key_hex):
    """Independent cross-check: the bthome-ble library decodes the same bytes to the same values."""
    from bthome_ble.parser import BTHomeBluetoothDeviceData
    from habluetooth import BluetoothServiceInfoBleak

    info = BluetoothServiceInfoBleak(
        name="test", address=mac, rssi=-60, manufacturer_data={},
        service_data={lywsd03mmc.service_uuid_128(0xFCD2): K(payload_hex)}, service_uuids=[], source="",
        device=None, advertisement=None, connectable=False, time=0.0, tx_power=None,
    )
    update = BTHomeBluetoothDeviceData(bindkey=K(key_hex) if key_hex else None).update(info)
    theirs = {key.key: value.native_value for key, value in update.entity_values.items()}
    ours = decode("fcd2", K(payload_hex), mac=mac, bind_key=K(key_hex) if key_hex else None)
    assert ours.temperature_c == pytest.approx(theirs["temperature"])
    assert ours.humidity_pct == pytest.approx(theirs["humidity"])
    if "battery" in theirs:
        assert ours.battery_pct == theirs["battery"]


@pytest.mark.parametrize("payload_hex, mac, key_hex", [v.values[1:4] for v in VECTORS if v.values[0] == "fe95"])
def test_mibeacon_agrees_with_xiaomi_ble(payload_hex, mac, key_hex):
    """Independent cross-check against xiaomi-ble (which floors LYWSD03MMC humidity to whole %)."""
    from habluetooth import BluetoothServiceInfoBleak
    from xiaomi_ble.parser import XiaomiBluetoothDeviceData

    info = BluetoothServiceInfoBleak(
        name="test", address=mac, rssi=-60, manufacturer_data={},
        service_data={lywsd03mmc.service_uuid_128(0xFE95): K(payload_hex)}, service_uuids=[], source="",
        device=None, advertisement=None, connectable=False, time=0.0, tx_power=None,
    )
    update = XiaomiBluetoothDeviceData(bindkey=K(key_hex) if key_hex else None).update(info)
    theirs = {key.key: value.native_value for key, value in update.entity_values.items()}
    ours = decode("fe95", K(payload_hex), mac=mac, bind_key=K(key_hex) if key_hex else None)
    if "temperature" in theirs:
        assert ours.temperature_c == pytest.approx(theirs["temperature"], abs=0.01)
    if "humidity" in theirs:
        assert int(ours.humidity_pct) == int(theirs["humidity"])
    assert "temperature" in theirs or "humidity" in theirs


@pytest.mark.parametrize("uuid, payload_hex, mac, key_hex, error", [
    # Encrypted without a key: each encrypted format says a key is needed.
    ("181a", "11d603fbfa7b6dfb1e26fd", "A4:C1:38:8D:18:B2", None, NeedsBindKey),
    ("fcd2", "41a47266c95f730011223378237214", "54:48:E6:8F:80:A5", None, NeedsBindKey),
    ("fe95", "58585b0550f4830238c1a495ef58763c26000097e2abb5", None, None, NeedsBindKey),
    # The wrong key (bthome-ble test_bindkey_wrong uses 814aac74…).
    ("fcd2", "41a47266c95f730011223378237214", "54:48:E6:8F:80:A5", "814aac74c4f17b6c1581e1ab87816b99", WrongBindKey),
    ("fe95", "58585b0550f4830238c1a495ef58763c26000097e2abb5", None, "814aac74c4f17b6c1581e1ab87816b99",
     WrongBindKey),
    ("fcd2", "41a47266c95f730011223378237214", "54:48:E6:8F:80:A5", "231d39c1", WrongBindKey),
    # Encrypted formats without the MAC in the payload need the sender's address.
    ("fcd2", "41a47266c95f730011223378237214", None, "231d39c1d7cc1ab1aee224cd096db932", NeedsMac),
    ("181a", "11d603fbfa7b6dfb1e26fd", None, "b9ea895fac7eea6d30532432a516f3a3", NeedsMac),
    # Malformed payloads.
    ("181a", "a4c1380283f400a22f5f", None, None, BadPayload),  # 10 bytes: no 0x181A format
    ("181a", "a4c1380283f400a22f5f0bf8", None, None, BadPayload),
    ("fcd2", "", None, None, BadPayload),
    ("fcd2", "e1020000", None, None, BadPayload),  # version 7 (bthome-ble test_has_incorrect_version)
    ("fcd2", "40feca09", None, None, BadPayload),  # unknown object id (test_bthome_wrong_object_id)
    ("fcd2", "4002ca", None, None, BadPayload),  # truncated temperature
    ("fe95", "5030", None, None, BadPayload),
    ("fe95", "5030" "5b05" "03" "4c94b438c1a4" "0d1004" "1001", None, None, BadPayload),  # object cut short
    ("fe95", "0020" "5b05" "03", None, None, NoMeasurement),  # frame without object
    # Not a thermometer service.
    ("180f", "64", None, None, UnsupportedService),
    ("not-a-uuid", "64", None, None, UnsupportedService),
    ("0000fcd2-0000-1000-8000-00805f9b34fc", "40", None, None, UnsupportedService),
])
def test_rejects_with_a_named_error(uuid, payload_hex, mac, key_hex, error):
    with pytest.raises(error):
        decode(uuid, K(payload_hex), mac=mac, bind_key=K(key_hex) if key_hex else None)


def test_errors_are_decode_errors_and_value_errors():
    for error in (BadPayload, NeedsBindKey, WrongBindKey, NeedsMac, NoMeasurement, UnsupportedService):
        assert issubclass(error, lywsd03mmc.DecodeError) and issubclass(error, ValueError)


@pytest.mark.parametrize("text", ["181a", "0x181A", "181A", "0000181a-0000-1000-8000-00805f9b34fb", 0x181A])
def test_service_uuid_spellings(text):
    assert lywsd03mmc.normalize_service_uuid(text) == 0x181A


def test_every_bthome_object_can_be_walked_past():
    """A payload holding every fixed-length object decodes, and the fields we use keep their values."""
    body = b""
    for object_id, spec in sorted(lywsd03mmc.BTHOME_OBJECTS.items()):
        if spec.length > 0:
            body += bytes([object_id]) + bytes(spec.length)
        elif spec.length == 0:
            body += bytes([object_id, 2]) + b"ab"
        else:
            body += bytes([object_id, 0x01, 0x01, 0x02])  # command: opcode and one argument
    reading = decode("fcd2", b"\x40" + body)
    assert reading.temperature_c == 0.0 and reading.humidity_pct == 0.0 and reading.packet_id == 0


@pytest.mark.parametrize("temp_c, hum_pct", [(-12.34, 0.0), (0.0, 100.0), (21.57, 48.25)])
def test_reference_encoders_round_trip(temp_c, hum_pct):
    pvvx = lywsd03mmc.encode_pvvx("A4:C1:38:11:22:33", temp_c, hum_pct, 2950, 77, 300)
    assert decode("181a", pvvx) == R("pvvx", "A4:C1:38:11:22:33", temp_c, hum_pct, 77, 2950, 300 & 0xFF)
    bthome = lywsd03mmc.encode_bthome(9, temp_c, hum_pct, battery_pct=93, battery_mv=2980)
    assert decode("fcd2", bthome, mac="A4:C1:38:11:22:33") == R(
        "bthome", "A4:C1:38:11:22:33", temp_c, hum_pct, 93, 2980, 9)


def test_reference_encoder_reproduces_a_recorded_payload():
    # pvvx vector of ble_monitor test_atc_custom, rebuilt from its values (flags byte 0x0d there).
    assert lywsd03mmc.encode_pvvx("A4:C1:38:02:83:F4", 17.05, 44.57, 2998, 88, 247, 0x0D) == K(
        "f4830238c1a4a9066911b60b58f70d")


def test_reading_values_for_json():
    reading = decode("181a", K("f4830238c1a4a9066911b60b58f70d"))
    assert reading.values() == {"format": "pvvx", "temperature_c": 17.05, "humidity_pct": 44.57,
                                "battery_pct": 88, "battery_mv": 2998, "voltage_v": 2.998}
