"""The ESP32 firmware's portable core, compiled on this machine with g++ and run.

The board build itself (PlatformIO, the ESP32 toolchain) is not part of the tests.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from protocols import eq3

FIRMWARE = Path(__file__).resolve().parents[2] / "esp32_firmware"
CORE_SOURCES = sorted(str(p) for p in (FIRMWARE / "src" / "core").glob("*.cpp"))


def compile_host(name: str, out_dir: Path) -> Path:
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.fail("g++ is needed to test the ESP32 firmware's core on this machine")
    binary = out_dir / name
    subprocess.run([compiler, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O0", "-o", str(binary),
                    str(FIRMWARE / "test" / "host" / f"{name}.cpp"), *CORE_SOURCES],
                   check=True, timeout=240, capture_output=True, text=True)
    return binary


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Path:
    return compile_host("harness", tmp_path_factory.mktemp("esp32-harness"))


def test_core_unit_tests_pass(tmp_path):
    result = subprocess.run([str(compile_host("test_core", tmp_path))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failures" in result.stdout


def test_core_has_no_arduino_dependency():
    for source in (FIRMWARE / "src" / "core").iterdir():
        text = source.read_text()
        assert "Arduino.h" not in text and "NimBLE" not in text, source.name


TOKEN = "harness-bridge-token-0123"
AUTH = b"Bearer harness-bridge-token-0123".hex()


def test_harness_sends_the_frames_the_python_codec_sends(harness):
    script = "\n".join(line + f" {AUTH}" if line.startswith("request ") else line for line in [
        f"token {TOKEN}",
        "time 2026-01-12T07:00:03 2026-01-12T06:00:03Z",
        "request POST /valves/00:1A:22:0C:3B:5D/target " + b'{"temperature_c": 22.0}'.hex(),
        "reply 020101100428",
        "request POST /valves/00:1A:22:0C:3B:5D/mode " + b'{"mode": "manual", "temperature_c": 22.0}'.hex(),
        "reply 020101100428",
        "request POST /valves/00:1A:22:0C:3B:5D/mode " + b'{"mode": "auto"}'.hex(),
        "reply 020100100428",
        "request POST /valves/00:1A:22:0C:3B:5D/boost " + b'{"on": true}'.hex(),
        "timeout",
        "request GET /valves/00:1A:22:0C:3B:5D?refresh=1 -",
        "reply 020100100428",
        "quit",
    ]) + "\n"
    result = subprocess.run([str(harness), "00:1A:22:0C:3B:5D"], input=script, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    frames = [bytes.fromhex(line.split()[2]) for line in result.stdout.splitlines() if line.startswith("ble ")]
    assert frames == [eq3.encode_target(22.0), eq3.encode_mode_manual(22.0), eq3.encode_mode_auto(),
                      eq3.encode_boost(True), eq3.encode_status_request(datetime(2026, 1, 12, 7, 0, 3))]
    statuses = [int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("response ")]
    assert statuses == [200, 200, 200, 504, 200]


def test_harness_refuses_a_bad_mac_argument(harness):
    result = subprocess.run([str(harness), "nope"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "not a MAC" in result.stderr


def test_the_core_refuses_requests_without_the_bridge_token(harness):
    script = "\n".join([
        "request GET / -",  # no token configured: nobody is let in
        f"token {TOKEN}",
        "request GET / -",
        "request GET / - " + b"Bearer wrong-token".hex(),
        "request POST /valves/00:1A:22:0C:3B:5D/mode " + b'{"mode": "auto"}'.hex() + " " + b"Bearer ".hex(),
        f"request GET / - {AUTH}",
        "quit",
    ]) + "\n"
    result = subprocess.run([str(harness), "00:1A:22:0C:3B:5D"], input=script, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    answers = [line.split(" ", 2)[1:] for line in result.stdout.splitlines() if line.startswith("response ")]
    # With the token the request reaches the routes (GET / is none of them).
    assert [int(status) for status, _ in answers] == [401, 401, 401, 401, 404]
    assert all('"error": "unauthorized"' in body for _, body in answers[:4])
    assert not any(line.startswith("ble ") for line in result.stdout.splitlines())  # no valve was asked
