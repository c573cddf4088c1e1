"""p1_reader on an MQTT topic, as dsmr-reader publishes raw telegrams, against a real Mosquitto and the API."""
from __future__ import annotations

import os
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from pydantic import ValidationError

from p1_reader.service import P1Service
from p1_reader.settings import P1Settings
from p1_reader.sources import as_telegram_bytes
from tests.p1_reader.test_p1_service import GAS, POWER, rows


def _publisher(broker) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-dsmr-reader-{os.getpid()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def _settings(tmp_path, url, api_server) -> P1Settings:
    return P1Settings(_env_file=None, p1_url=url, p1_dsmr_version="5", api_url=api_server.url,
                      service_token=api_server.service_token, spool_dir=str(tmp_path / "spool"), retry_s=0.2)


def _publish_until(client, topic, telegrams, done, timeout_s=20.0):
    """Publishes the telegrams again until ``done()``: the reader may subscribe after the first round
    (telegrams are idempotent at the API, as a meter's repeated ones are)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for telegram in telegrams:
            client.publish(topic, telegram, qos=1).wait_for_publish(5)
        if done():
            return
        time.sleep(0.3)
    raise AssertionError("the telegrams did not arrive")


@pytest.mark.parametrize("topic", ["dsmr/raw", "house/meter/telegram"])
def test_telegrams_from_an_mqtt_topic_arrive_in_postgresql(tmp_path, api_server, mosquitto, recorded, topic):
    url = mosquitto.url + ("" if topic == "dsmr/raw" else f"/{topic}")  # dsmr-reader's default without a topic
    service = P1Service(_settings(tmp_path, url, api_server))
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    publisher = _publisher(mosquitto)
    # As published: one telegram a message; one with LF line ends and none after its CRC.
    telegrams = [recorded.V4_2, recorded.dsmr5(recorded.GAS_ON_CHANNEL_2).replace("\r\n", "\n").rstrip("\n"),
                 recorded.FLUVIUS]
    try:
        _publish_until(publisher, topic, telegrams, lambda: len(rows(api_server.database_url, GAS)) == 3)
    finally:
        service.stop()
        thread.join(10)
        publisher.loop_stop()
        publisher.disconnect()
    assert not thread.is_alive()
    assert rows(api_server.database_url, GAS) == [
        ("2016-11-29 19:00:00", 981.443, "4819243993373755377509728609491464"),
        ("2017-01-02 15:10:05", 4521.337, "4730303339303031"),
        ("2020-05-12 11:45:58", 112.384, "37464C4F32313139303333373333"),
    ]
    assert [r[0] for r in rows(api_server.database_url, POWER)] == [
        "2016-11-13 19:57:57", "2017-01-02 18:20:02", "2020-05-12 11:54:09"]
    assert service.bad_checksums == 0


def test_a_broker_not_there_is_retried_and_nothing_is_lost(tmp_path, api_server, mosquitto, recorded):
    mosquitto.stop()
    service = P1Service(_settings(tmp_path, mosquitto.url, api_server))
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    try:
        time.sleep(1.5)
        assert thread.is_alive()
        mosquitto.start()
        publisher = _publisher(mosquitto)
        try:
            _publish_until(publisher, "dsmr/raw", [recorded.V4_2],
                           lambda: len(rows(api_server.database_url, GAS)) == 1, timeout_s=40)
        finally:
            publisher.loop_stop()
            publisher.disconnect()
    finally:
        service.stop()
        thread.join(10)


def test_line_ends_are_restored_for_the_crc():
    assert as_telegram_bytes(b"/X\nA(1)\n!1234") == b"/X\r\nA(1)\r\n!1234\r\n"
    assert as_telegram_bytes(b"/X\r\nA(1)\r\n!1234\r\n") == b"/X\r\nA(1)\r\n!1234\r\n"


def test_mqtt_p1_urls(tmp_path):
    settings = P1Settings(_env_file=None, p1_url="mqtts://meter:p%40ss@broker.local:8883/dsmr/raw")
    assert settings.p1_display == "mqtts://meter:***@broker.local:8883/dsmr/raw"
    with pytest.raises(ValidationError, match="p1_url"):
        P1Settings(_env_file=None, p1_url="mqtt://broker/dsmr/#")
    with pytest.raises(ValidationError, match="p1_url"):
        P1Settings(_env_file=None, p1_url="mqtt://:1883")
