"""thermostat_reader.valve_bridge.http_server: the contract over a real HTTP server."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import requests

from thermostat_reader.valve_bridge.core import BridgeCore
from thermostat_reader.valve_bridge.http_server import ContractHttpServer

MAC = "00:1A:22:0C:3B:5D"
TOKEN = "test-bridge-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class SilentTransport:
    def exchange(self, mac, frame, timeout_s):
        raise AssertionError("no request here may reach a valve")


def serve() -> ContractHttpServer:
    core = BridgeCore([MAC], SilentTransport(), kind="pi", now=lambda: datetime.now(timezone.utc),
                      zone=ZoneInfo("Europe/Amsterdam"))
    return ContractHttpServer(core, token=TOKEN).start()


def test_answers_json_for_every_method_and_path():
    server = serve()
    try:
        health = requests.get(server.url + "/health", headers=AUTH, timeout=5)
        assert health.status_code == 200 and health.headers["Content-Type"] == "application/json"
        for method, path, status in [("PUT", f"/valves/{MAC}/target", 405), ("DELETE", "/valves", 405),
                                     ("PATCH", "/nothing", 404)]:
            answer = requests.request(method, server.url + path, headers=AUTH, timeout=5)
            assert answer.status_code == status and set(answer.json()) == {"error", "message"}
    finally:
        server.stop()


def test_refuses_a_body_that_is_too_large_without_asking_the_valve():
    server = serve()
    try:
        answer = requests.post(f"{server.url}/valves/{MAC}/target", data=b"{" + b" " * 5000 + b"}", timeout=5)
        assert answer.status_code == 400 and answer.json()["error"] == "bad_request"
    finally:
        server.stop()


def test_stop_without_start_frees_the_port():
    core = BridgeCore([], SilentTransport(), kind="pi", now=lambda: datetime.now(timezone.utc),
                      zone=ZoneInfo("Europe/Amsterdam"))
    server = ContractHttpServer(core, token=TOKEN)
    port = server.port
    server.stop()
    again = ContractHttpServer(core, port=port, token=TOKEN)
    again.stop()


def test_without_a_token_configured_nobody_is_let_in():
    core = BridgeCore([MAC], SilentTransport(), kind="pi", now=lambda: datetime.now(timezone.utc),
                      zone=ZoneInfo("Europe/Amsterdam"))
    server = ContractHttpServer(core, token="").start()
    try:
        for headers in ({}, {"Authorization": "Bearer "}, AUTH):
            answer = requests.post(f"{server.url}/valves/{MAC}/target", json={"temperature_c": 30}, headers=headers,
                                   timeout=5)
            assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"
    finally:
        server.stop()
