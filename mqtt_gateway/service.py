"""The gateway's loop: the house's state from the API to the broker, commands from the broker to the API.

The broker's client runs in paho's own thread (it reconnects by itself); messages that ask for
something are queued and carried out here, in the service's thread, which alone talks to the API.
Nothing else in the house depends on this service: with the broker gone it only waits.
"""
from __future__ import annotations

import logging
import math
import queue
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import paho.mqtt.client as mqtt

from common.api_client import ApiClient, ApiError, ApiRejected, ApiUnavailable
from common.mqtt import make_client
from mqtt_gateway import inputs
from mqtt_gateway.discovery import BOOST_MINUTES, HOUSE_MODES, PRESETS, Discovery, Topics, encode
from mqtt_gateway.settings import MqttSettings

log = logging.getLogger(__name__)

# Without a schedule a room has no next switch point: a temperature from Home Assistant then
# holds this long, as a manual override on the page would.
NO_SCHEDULE_HOLD = timedelta(hours=24)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("home-heating")
    except PackageNotFoundError:
        return ""


class GatewayService:
    def __init__(self, settings: MqttSettings, *, client: ApiClient | None = None):
        self.settings = settings
        self.api = client or ApiClient(settings.api_url, settings.service_token or None, settings.api_timeout_s)
        self.topics = Topics(settings.mqtt_discovery_prefix, settings.mqtt_base_topic)
        self.discovery = Discovery(self.topics, _version())
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._lock = threading.Lock()
        # Topic → payload as last published (retained); emptied on every new connection, so a broker
        # that lost its retained messages gets everything again.
        self._published: dict[str, bytes] = {}
        # Retained topics of ours the broker holds, also from an earlier run: what is no longer in
        # the house is cleared from there.
        self._retained: set[str] = set()
        self._available: str | None = None
        self.last_status: dict | None = None
        self.refreshes = 0
        self.commands_done = 0
        self.mqtt = self._make_client()

    # --- the broker --------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = make_client(self.settings.broker, self.settings.client_id, self.settings.mqtt_ca_file)
        # The broker says "offline" for us when we vanish without a word (power cut, crash).
        client.will_set(self.topics.availability, "offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("The MQTT broker %s refused us: %s", self.settings.broker.host, reason_code)
            return
        log.info("Connected to the MQTT broker %s:%d.", self.settings.broker.host, self.settings.broker.port)
        base = self.topics.base
        client.subscribe([(f"{base}/room/+/target/set", 1), (f"{base}/room/+/preset/set", 1),
                          (self.topics.house_mode_set, 1), (self.topics.all_configs, 1),
                          (f"{base}/room/+/contact", 1), (f"{base}/room/+/contact/+", 1),
                          (f"{base}/presence/+", 1), (self.topics.outdoor_temperature, 1),
                          (f"{base}/room/+/state", 1), (f"{base}/problem/+/state", 1)])
        with self._lock:
            self._published.clear()
            self._available = None
        self._connected.set()
        self._commands.put(("refresh", None))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("Lost the MQTT broker (%s); reconnecting. The heating goes on without it.", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        if topic.endswith("/set") or inputs.is_input(self.topics, topic):
            if message.retain or not message.payload:
                # A command left retained is not a fresh wish, and a retained sensor report is old
                # news of unknown age (the API already holds the latest report it was given); an
                # empty one only clears a retained message.
                return
            self._commands.put((topic, message.payload.decode("utf-8", "replace").strip()))
            return
        with self._lock:
            if message.payload:
                self._retained.add(topic)
            else:
                self._retained.discard(topic)
            stale = message.payload and topic not in self._published
        if stale and message.retain:
            self._commands.put(("refresh", None))  # maybe a leftover of a deleted room: look now

    def _publish(self, topic: str, payload: bytes) -> bool:
        if not self._connected.is_set():
            return False
        info = self.mqtt.publish(topic, payload, qos=1, retain=True)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def _set_available(self, value: str) -> None:
        if self._available != value and self._publish(self.topics.availability, value.encode()):
            self._available = value

    # --- the house ---------------------------------------------------------------

    def _gas(self, status: dict) -> tuple[dict | None, dict | None]:
        zone = self.settings.zone
        now = datetime.fromisoformat(status["time"].replace("Z", "+00:00")).astimezone(zone)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        end = (now + timedelta(seconds=1)).isoformat()
        today = self.api.get("/api/gas", {"from": day.isoformat(), "to": end, "group": "day"})
        this_month = self.api.get("/api/gas", {"from": month.isoformat(), "to": end, "group": "day"})
        return today, this_month

    def refresh(self) -> bool:
        """Read the house and publish what changed; False when the API or the broker is not there."""
        if not self._connected.is_set():
            return False
        try:
            status = self.api.get("/api/status")
            try:
                gas_today, gas_month = self._gas(status)
            except ApiRejected as exc:
                log.warning("Gas per room not available: %s", exc)
                gas_today = gas_month = None
        except ApiError as exc:
            log.warning("Cannot read the house from the API (%s); Home Assistant sees it unavailable.", exc)
            self._set_available("offline")
            return False
        self.last_status = status
        configs = {topic: encode(payload) for topic, payload in self.discovery.configs(status).items()}
        states = {topic: encode(payload)
                  for topic, payload in self.discovery.states(status, gas_today, gas_month).items()}
        # Configs before states (Home Assistant creates an entity, then reads its state), and
        # "online" last, so it never shows a half-made house.
        wanted = configs | states
        with self._lock:
            gone = (set(self._published) | self._retained) - set(wanted) - {self.topics.availability}
        for topic, payload in list(configs.items()) + list(states.items()):
            if self._published.get(topic) != payload and self._publish(topic, payload):
                self._published[topic] = payload
        for topic in sorted(gone, key=lambda t: not t.endswith("/config")):
            # An empty retained message deletes the entity in Home Assistant and the retained copy.
            if self._publish(topic, b""):
                self._published.pop(topic, None)
                with self._lock:
                    self._retained.discard(topic)
        self._set_available("online")
        self.refreshes += 1
        return True

    # --- commands ----------------------------------------------------------------

    def handle(self, topic: str, payload: str) -> None:
        """Carry out one command from the broker through the API; bad ones are logged and dropped."""
        base = self.topics.base
        try:
            if topic == self.topics.house_mode_set:
                self._house_mode(payload)
            elif inputs.is_input(self.topics, topic):
                inputs.forward(self.api, self.topics, topic, payload)
            elif topic.startswith(f"{base}/room/"):
                room_part, _, action = topic[len(base) + len("/room/"):].partition("/")
                if not room_part.isdigit():
                    log.warning("Ignored %s: not a room id", topic)
                    return
                room_id = int(room_part)
                if action == "target/set":
                    self._target(room_id, payload)
                elif action == "preset/set":
                    self._preset(room_id, payload)
                else:
                    return
            else:
                return
            self.commands_done += 1
        except ApiRejected as exc:
            log.warning("The API refused %s %r: %s", topic, payload, exc)
        except ApiUnavailable as exc:
            log.warning("Could not carry out %s %r, the API is not reachable: %s", topic, payload, exc)
        except ValueError as exc:
            log.warning("Ignored %s %r: %s", topic, payload, exc)

    def _target(self, room_id: int, payload: str) -> None:
        temperature = float(payload)
        if not math.isfinite(temperature):
            raise ValueError("not a temperature")
        try:
            self.api.put(f"/api/rooms/{room_id}/override", {"temperature_c": temperature, "until": "next_switch"})
        except ApiRejected as exc:
            if exc.status != 422 or not _names_field(exc.problem, "until"):
                raise
            now = datetime.fromisoformat(self.api.get("/api/status")["time"].replace("Z", "+00:00"))
            until = (now + NO_SCHEDULE_HOLD).astimezone(timezone.utc).isoformat()
            self.api.put(f"/api/rooms/{room_id}/override", {"temperature_c": temperature, "until": until})

    def _preset(self, room_id: int, payload: str) -> None:
        if payload not in PRESETS:
            raise ValueError(f"unknown preset (use one of {', '.join(PRESETS)})")
        if payload == "boost":
            self.api.post(f"/api/rooms/{room_id}/boost", {"minutes": BOOST_MINUTES})
        elif payload == "away":
            self.api.put("/api/mode", {"mode": "away"})
        else:
            # Back to the schedule: no override, and a house that is away comes home.
            self.api.request("DELETE", f"/api/rooms/{room_id}/override")
            if self.api.get("/api/mode")["mode"] == "away":
                self.api.put("/api/mode", {"mode": "home"})

    def _house_mode(self, payload: str) -> None:
        if payload not in HOUSE_MODES:
            raise ValueError(f"unknown house mode (use one of {', '.join(HOUSE_MODES)})")
        if payload == "holiday":
            raise ValueError("a holiday needs an end date: set it on the page")
        self.api.put("/api/mode", {"mode": payload})

    # --- running -----------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()
        self._commands.put(("stop", None))

    def run(self) -> int:
        broker = self.settings.broker
        log.info("MQTT gateway for %s: broker %s:%d, discovery under %s/, topics under %s/.", self.settings.api_url,
                 broker.host, broker.port, self.topics.discovery_prefix, self.topics.base)
        self.mqtt.connect_async(broker.host, broker.port, keepalive=60)
        self.mqtt.loop_start()
        next_refresh = 0.0
        import time

        try:
            while not self._stop.is_set():
                timeout = max(0.0, next_refresh - time.monotonic())
                try:
                    topic, payload = self._commands.get(timeout=timeout)
                except queue.Empty:
                    topic, payload = "refresh", None
                if topic == "stop":
                    break
                if topic != "refresh":
                    self.handle(topic, payload)
                    # Let a burst of commands (a slider dragged) finish before reading back.
                    while True:
                        try:
                            topic, payload = self._commands.get(timeout=0.2)
                        except queue.Empty:
                            break
                        if topic == "stop":
                            self._stop.set()
                            break
                        if topic != "refresh":
                            self.handle(topic, payload)
                if self._stop.is_set():
                    break
                self.refresh()
                next_refresh = time.monotonic() + self.settings.mqtt_publish_s
        finally:
            if self._connected.is_set():
                self.mqtt.publish(self.topics.availability, b"offline", qos=1, retain=True).wait_for_publish(5)
            self.mqtt.disconnect()
            self.mqtt.loop_stop()
            self.api.close()
        return 0


def _names_field(problem: Any, field: str) -> bool:
    return isinstance(problem, dict) and any(e.get("field") == field for e in problem.get("errors") or [])
