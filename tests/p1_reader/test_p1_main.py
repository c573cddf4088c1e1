"""python -m p1_reader parse: one JSON object per telegram, clear errors."""
from __future__ import annotations

import json
import subprocess
import sys


def run(*args, stdin: bytes = b""):
    return subprocess.run([sys.executable, "-m", "p1_reader", *args], input=stdin, capture_output=True, timeout=60)


def test_parse_a_file_of_telegrams(tmp_path, recorded):
    path = tmp_path / "p1.txt"
    path.write_bytes(("noise\r\n" + recorded.V4_2 + recorded.dsmr5(recorded.GAS_ON_CHANNEL_2)).encode())
    done = run("parse", str(path))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(x["gas_m3"], x["gas_time"], x["power_kw"]) for x in lines] == [
        (981.443, "2016-11-29T19:00:00Z", 2.027), (4521.337, "2017-01-02T15:10:05Z", 0.244)]
    assert lines[0]["delivered_t1_kwh"] == 1581.123 and lines[0]["delivered_t2_kwh"] == 1435.706


def test_parse_stdin_belgian(recorded):
    done = run("parse", "-", "--dsmr-version", "5B", stdin=recorded.FLUVIUS.encode())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gas_m3"] == 112.384


def test_a_bad_crc_is_reported_and_the_rest_printed(recorded):
    broken = recorded.V4_2.replace("(02.027*kW)", "(02.028*kW)")
    done = run("parse", "-", stdin=(broken + recorded.V5).encode())
    assert done.returncode == 0
    assert len(done.stdout.decode().splitlines()) == 1
    assert b"CRC" in done.stderr or b"checksum" in done.stderr


def test_no_telegram_is_an_error():
    done = run("parse", "-", stdin=b"hello\r\n")
    assert done.returncode == 1 and b"no complete telegram" in done.stderr


def test_a_missing_file_is_an_error(tmp_path):
    done = run("parse", str(tmp_path / "missing.txt"))
    assert done.returncode == 2 and b"cannot read" in done.stderr
