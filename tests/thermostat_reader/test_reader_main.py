"""python -m thermostat_reader decode / scan: JSON out, clear errors, non-zero exits."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time


def run(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "thermostat_reader", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_decode_pvvx():
    # ble_monitor custom_components/ble_monitor/test/test_atc_parser.py (test_atc_custom)
    done = run("decode", "181a", "f4830238c1a4a9066911b60b58f70d")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"format": "pvvx", "temperature_c": 17.05, "humidity_pct": 44.57,
                                       "battery_pct": 88, "battery_mv": 2998, "voltage_v": 2.998,
                                       "mac": "A4:C1:38:02:83:F4", "packet_id": 247, "encrypted": False}


def test_decode_encrypted_mibeacon_with_its_bind_key():
    # xiaomi-ble tests/test_parser.py (test_Xiaomi_LYWSD03MMC_encrypted)
    done = run("decode", "0xFE95", "58585b0550f4830238c1a495ef58763c26000097e2abb5",
               "--bindkey", "e9ea895fac7cca6d30532432a516f3a8")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["format"] == "mibeacon" and out["humidity_pct"] == 46.7 and out["encrypted"] is True


def test_decode_bthome_128_bit_uuid():
    # bthome-ble tests/test_parser_v2.py (test_bthome_packet_id_temperature_humidity_battery)
    done = run("decode", "0000fcd2-0000-1000-8000-00805f9b34fb", "400009015d025d0903b718")
    assert json.loads(done.stdout)["temperature_c"] == 23.97


def test_decode_errors_are_clear_and_non_zero():
    missing_key = run("decode", "fe95", "58585b0550f4830238c1a495ef58763c26000097e2abb5")
    assert missing_key.returncode == 1 and "bind key" in missing_key.stderr and missing_key.stdout == ""
    bad_hex = run("decode", "181a", "xyz")
    assert bad_hex.returncode == 2 and "not hexadecimal" in bad_hex.stderr
    bad_uuid = run("decode", "180f", "64")
    assert bad_uuid.returncode == 1 and "not a thermometer format" in bad_uuid.stderr
    bad_key = run("decode", "fe95", "5858", "--bindkey", "zz")
    assert bad_key.returncode == 2 and "--bindkey" in bad_key.stderr


def test_scan_prints_what_the_stream_carries(advert_stream, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
    env.update({"HEATING_ADVERT_SOURCE": "stream", "HEATING_ADVERT_STREAM_URL": advert_stream.url})

    def feed():
        deadline = time.monotonic() + 20
        while advert_stream.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        # bthome-ble tests/test_parser_v2.py (test_bthome_packet_id_temperature_humidity_battery)
        advert_stream.send("A4:C1:38:11:22:33", 0xFCD2, bytes.fromhex("400009015d025d0903b718"), rssi=-71)
        # xiaomi-ble tests/test_parser.py (test_Xiaomi_LYWSD03MMC_encrypted): no bind key on the command line
        advert_stream.send("A4:C1:38:02:83:F4", 0xFE95,
                           bytes.fromhex("58585b0550f4830238c1a495ef58763c26000097e2abb5"), rssi=-80)

    threading.Thread(target=feed, daemon=True).start()
    done = subprocess.run([sys.executable, "-m", "thermostat_reader", "scan", "--seconds", "3"], capture_output=True,
                          text=True, timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0] == {"mac": "A4:C1:38:11:22:33", "rssi": -71, "name": None, "format": "bthome",
                        "temperature_c": 23.97, "humidity_pct": 63.27, "battery_pct": 93}
    assert lines[1]["mac"] == "A4:C1:38:02:83:F4" and "NeedsBindKey" in lines[1]["error"]


def test_bad_settings_are_named(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEATING_")}
    env["HEATING_ADVERT_SOURCE"] = "stream"  # without HEATING_ADVERT_STREAM_URL
    done = subprocess.run([sys.executable, "-m", "thermostat_reader", "run"], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 2 and "advert_stream_url" in done.stderr
