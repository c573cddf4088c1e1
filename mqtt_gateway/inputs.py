"""Sensors of the home reported over MQTT, forwarded to the API.

Payloads are taken as the usual publishers send them: Home Assistant states (``on``/``off``,
``home``/``not_home`` or a zone name), plain numbers, and zigbee2mqtt's JSON objects, where a door
sensor's ``contact`` is true while the door is *closed*
(https://www.zigbee2mqtt.io/devices/MCCGQ11LM.html: "contact: Indicates if the contact is closed
(= true) or open (= false)").
"""
from __future__ import annotations

import json
import math
import re

from common.api_client import ApiClient
from mqtt_gateway.discovery import Topics

_TRUE = {"on", "open", "true", "1", "yes"}
_FALSE = {"off", "closed", "close", "false", "0", "no"}


def _room_contact(topics: Topics, topic: str) -> tuple[int, str] | None:
    match = re.fullmatch(re.escape(topics.base) + r"/room/(\d+)/contact(?:/([^/]+))?", topic)
    return (int(match.group(1)), match.group(2) or "window") if match else None


def is_input(topics: Topics, topic: str) -> bool:
    return (_room_contact(topics, topic) is not None or topic == topics.outdoor_temperature
            or re.fullmatch(re.escape(topics.base) + r"/presence/[^/]+", topic) is not None)


def _json(payload: str):
    try:
        return json.loads(payload)
    except ValueError:
        return None


def contact_open(payload: str) -> bool:
    doc = _json(payload)
    if isinstance(doc, dict):
        if isinstance(doc.get("contact"), bool):
            return not doc["contact"]
        if isinstance(doc.get("open"), bool):
            return doc["open"]
        raise ValueError('a JSON contact report has "contact" (zigbee2mqtt: true = closed) or "open"')
    word = payload.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("a contact is ON/OFF, open/closed, true/false or zigbee2mqtt's JSON")


def person_home(payload: str) -> bool:
    doc = _json(payload)
    if isinstance(doc, dict):
        if isinstance(doc.get("home"), bool):
            return doc["home"]
        raise ValueError('a JSON presence report has "home": true or false')
    word = payload.strip().lower()
    if word in ("home", "on", "true", "1"):
        return True
    if word in ("not_home", "away", "off", "false", "0"):
        return False
    if word and not word.startswith(("{", "[")) and word not in ("unknown", "unavailable"):
        return False  # Home Assistant names the zone a person is in (work, school): not home
    raise ValueError("presence is home/not_home (or a zone name), ON/OFF, true/false")


def outdoor_temperature(payload: str) -> float:
    doc = _json(payload)
    if isinstance(doc, dict):
        value = doc.get("temperature", doc.get("temperature_c"))
    else:
        value = doc if isinstance(doc, (int, float)) and not isinstance(doc, bool) else None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError('an outdoor temperature is a number, or JSON with "temperature"')
    return float(value)


def forward(api: ApiClient, topics: Topics, topic: str, payload: str) -> None:
    """Sends one sensor report to the API; ValueError for a payload that says nothing we know."""
    contact = _room_contact(topics, topic)
    if contact is not None:
        room_id, name = contact
        api.post(f"/api/rooms/{room_id}/contacts", {"name": name, "open": contact_open(payload), "source": "mqtt"})
    elif topic == topics.outdoor_temperature:
        api.post("/api/outdoor-readings", {"temperature_c": outdoor_temperature(payload), "source": "mqtt"})
    else:
        person = topic.rsplit("/", 1)[1]
        api.post("/api/presence", {"person": person, "home": person_home(payload), "source": "mqtt"})
