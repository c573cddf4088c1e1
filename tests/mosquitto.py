"""A private Mosquitto broker for the tests: Debian's binary, a free port, a config of its own.

Never the machine's own broker (which may not run, or may hold someone's retained messages): each
fixture starts one in a temporary folder and stops it afterwards. ``.ci/run`` installs the package.
"""
from __future__ import annotations

import itertools
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from db.local_cluster import free_port

_ids = itertools.count()


def find_mosquitto() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None)


def readable_by_broker(folder: Path, path: Path) -> None:
    """Started as root, mosquitto reads its password file as the user "mosquitto" (Debian's package)."""
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam("mosquitto")
    except KeyError:
        return
    folder.chmod(0o755)
    os.chown(path, user.pw_uid, user.pw_gid)


class Mosquitto:
    def __init__(self, users: dict[str, str] | None = None):
        binary = find_mosquitto()
        if binary is None:
            raise RuntimeError("mosquitto is not installed (Debian: apt-get install mosquitto); .ci/run installs it")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="heating-mqtt-"))
        self.port = free_port()
        self.host = "127.0.0.1"
        self.users = users or {}
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr",
                 "log_type error", "log_type warning", "log_type notice"]
        if self.users:
            passwords = self.folder / "passwords"
            passwords.write_text("")
            for user, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwords), user, password], check=True,
                               capture_output=True)
            passwords.chmod(0o600)
            readable_by_broker(self.folder, passwords)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")
        self.log_path = self.folder / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> "Mosquitto":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([self.binary, "-c", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Listener:
    """An MQTT client that keeps the newest payload of every topic under some prefixes."""

    def __init__(self, url_host: str, port: int, prefixes: list[str], username=None, password=None):
        self.messages: dict[str, bytes] = {}
        self.closed = False
        self.seen: list[tuple[str, bytes, bool]] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-listener-{os.getpid()}-{next(_ids)}")
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe([(f"{p}/#", 1) for p in prefixes])
        self.client.connect(url_host, port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self._cond:
            self.messages[message.topic] = message.payload
            self.seen.append((message.topic, message.payload, bool(message.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = 15.0, what: str = "a message"):
        """Waits until ``predicate(messages)`` is truthy and returns it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(self.messages)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; have {sorted(self.messages)}")
                self._cond.wait(left)

    def json(self, topic: str, timeout: float = 15.0, where=lambda doc: True) -> dict:
        def found(messages):
            payload = messages.get(topic)
            if payload:
                doc = json.loads(payload)
                return doc if where(doc) else None
            return None

        return self.wait_for(found, timeout, what=topic)

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def clear_retained(self) -> None:
        """Leaves the broker without retained messages of the test."""
        for topic, payload in list(self.messages.items()):
            if payload:
                self.publish(topic, "", retain=True)

    def close(self) -> None:
        self.closed = True
        self.client.loop_stop()
        self.client.disconnect()


def wait_until(predicate, timeout_s: float = 15.0, what: str = "a condition"):
    """Polls ``predicate`` until it is truthy and returns its value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
