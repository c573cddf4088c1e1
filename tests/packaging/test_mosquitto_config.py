"""The compose broker's configuration, run by the machine's own Mosquitto (the image runs the same 2.x)."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from tests.mosquitto import Mosquitto, find_mosquitto, readable_by_broker

ROOT = Path(__file__).resolve().parents[2]


def _connect(port: int, username=None, password=None) -> mqtt.ReasonCode:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-config-{username}")
    if username:
        client.username_pw_set(username, password)
    outcome = {}
    client.on_connect = lambda c, u, flags, reason, props: outcome.setdefault("reason", reason)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for _ in range(100):
            if "reason" in outcome:
                return outcome["reason"]
            time.sleep(0.05)
        raise AssertionError("no CONNACK")
    finally:
        client.loop_stop()
        client.disconnect()


def test_the_compose_broker_refuses_anonymous_clients():
    assert find_mosquitto(), "mosquitto is not installed"
    config = (ROOT / "docker" / "mosquitto" / "mosquitto.conf").read_text()
    assert "listener 1883" in config and "/mosquitto/data/" in config
    broker = Mosquitto()  # for its folder, start and stop; the compose configuration in place of its own
    try:
        data = broker.folder / "data"
        data.mkdir()
        broker.config.write_text(config.replace("listener 1883", f"listener {broker.port} 127.0.0.1")
                                 .replace("/mosquitto/data/", f"{data}/"))
        passwords = data / "passwords"
        subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "heating", "s3cret"], check=True,
                       capture_output=True)
        passwords.chmod(0o600)
        readable_by_broker(broker.folder, passwords)
        data.chmod(0o777)  # the broker's own user writes its persistence file there
        broker.start()
        assert _connect(broker.port).is_failure
        assert not _connect(broker.port, "heating", "s3cret").is_failure
        assert _connect(broker.port, "heating", "wrong").is_failure
    finally:
        broker.close()
