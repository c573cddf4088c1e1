"""MQTT broker addresses and clients, the same for every service that speaks MQTT.

``mqtt://[user[:password]@]host[:port]`` (port 1883) or ``mqtts://...`` for TLS (port 8883);
credentials are URL-encoded (``%2F`` for ``/``).
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    #: The URL's path without its leading slash ("" when none): a topic, for services that read one.
    path: str = ""


def parse_mqtt_url(url: str) -> BrokerAddress:
    """The broker of ``url``; ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError("an MQTT URL looks like mqtt://host:1883 or mqtts://user:password@host:8883")
    if not parts.hostname:
        raise ValueError("the MQTT URL names no host (mqtt://host:1883)")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"the MQTT URL's port is not a number from 1 to 65535: {exc}") from exc
    tls = parts.scheme == "mqtts"
    return BrokerAddress(host=parts.hostname, port=port or (8883 if tls else 1883), tls=tls,
                         username=unquote(parts.username) if parts.username else None,
                         password=unquote(parts.password) if parts.password is not None else None,
                         path=unquote(parts.path.lstrip("/")))


def make_client(broker: BrokerAddress, client_id: str, ca_file: str | None = None) -> mqtt.Client:
    """A paho client for ``broker`` (credentials, TLS) that reconnects by itself once started."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                         clean_session=True)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set_context(ssl.create_default_context(cafile=ca_file or None))
    client.reconnect_delay_set(min_delay=1, max_delay=60)
    return client
