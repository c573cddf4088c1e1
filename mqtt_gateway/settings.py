"""The MQTT gateway's deployment settings (environment, prefix HEATING_, or .env)."""
from __future__ import annotations

import re

from pydantic import Field, field_validator

from common.mqtt import BrokerAddress, parse_mqtt_url
from common.settings import ServiceSettings

# MQTT topic levels may not hold wildcards; a topic prefix of ours is one or more plain levels.
_TOPIC_PREFIX = re.compile(r"^[^#+/\s][^#+\s]*$")


def check_topic_prefix(value: str, name: str) -> str:
    value = value.strip().strip("/")
    if not value or not _TOPIC_PREFIX.match(value):
        raise ValueError(f"{name} must be a topic such as 'heating', without '+', '#' or spaces")
    return value


class MqttSettings(ServiceSettings):
    #: The broker: mqtt://host:1883, with credentials mqtt://user:password@host, TLS mqtts://host:8883.
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    #: Where Home Assistant looks for discovery configs (its default is homeassistant).
    mqtt_discovery_prefix: str = "homeassistant"
    #: Our own topics (state, commands, availability) live under this.
    mqtt_base_topic: str = "heating"
    #: A CA bundle for mqtts:// to a broker with a private certificate; empty: the system's CAs.
    mqtt_ca_file: str = ""
    #: The client id at the broker; empty: derived from the base topic (stable, so the broker keeps
    #: no stale sessions of ours).
    mqtt_client_id: str = ""
    #: How often the house's state is read from the API and published, seconds.
    mqtt_publish_s: float = Field(30.0, ge=1, le=3600)
    #: The controller API and the service token for its writes.
    api_url: str = "http://127.0.0.1:8000"
    service_token: str = ""
    api_timeout_s: float = Field(10.0, gt=0, le=120)

    required_secrets = ("HEATING_SERVICE_TOKEN",)

    def secrets(self) -> dict[str, str | None]:
        # The broker's password travels in the URL (HEATING_MQTT_PASSWORD in .env.example).
        return {"HEATING_SERVICE_TOKEN": self.service_token or None,
                "HEATING_MQTT_PASSWORD (in HEATING_MQTT_URL)": parse_mqtt_url(self.mqtt_url).password}

    @field_validator("mqtt_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if parse_mqtt_url(value).path:
            raise ValueError("the gateway's MQTT URL names a broker, not a topic (mqtt://host:1883)")
        return value.strip()

    @field_validator("mqtt_discovery_prefix")
    @classmethod
    def _discovery(cls, value: str) -> str:
        return check_topic_prefix(value, "mqtt_discovery_prefix")

    @field_validator("mqtt_base_topic")
    @classmethod
    def _base(cls, value: str) -> str:
        return check_topic_prefix(value, "mqtt_base_topic")

    @property
    def broker(self) -> BrokerAddress:
        return parse_mqtt_url(self.mqtt_url)

    @property
    def client_id(self) -> str:
        return self.mqtt_client_id or "home-heating-" + re.sub(r"[^A-Za-z0-9_-]", "_", self.mqtt_base_topic)
