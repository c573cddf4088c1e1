"""A nefit-easy-http-server stand-in for the boiler driver's tests: a real HTTP server.

It speaks the server's protocol (robertklep/nefit-easy-http-server lib/cli/server.js):
POST /bridge/<path> with {"value": ...} answers {"status": "ok"}, GET /api/status
answers the status object whose keys are those of robertklep/nefit-easy-core
README.md ("System status" example), and errors are HTTP 500 with a plain-text body.
The server is single-threaded, like the backend it fronts.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


class FakeNefit:
    def __init__(self):
        self.lock = threading.Lock()
        self.state = {"user mode": "clock", "in house temp": 18.3, "in house status": "ok",
                      "boiler indicator": "off", "temp override": False, "temp setpoint": 17.5,
                      "temp override temp setpoint": 17.5, "temp manual setpoint": 17.5, "outdoor temp": 3}
        #: The clock program as the backend holds it (marcelrv/nefit_easy_protocol program1.md's
        #: example: weekdays 19 °C from 07:00, 17 from 09:00, 20 from 17:00, 15 from 23:00).
        self.active_program = 1
        self.program = []
        for day in ("Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"):
            points = [(480, 20), (1380, 15)] if day in ("Sa", "Su") else [(420, 19), (540, 17), (1020, 20), (1380, 15)]
            for n in range(6):
                if n < len(points):
                    self.program.append({"active": "on", "t": points[n][0], "T": points[n][1], "name": n, "d": day})
                else:
                    self.program.append({"active": "off", "t": 0, "T": 5, "name": 0, "d": day})
        self.writes: list[tuple[str, object]] = []
        self.fail_next = 0
        #: When set, writes are accepted but ignored (a boiler that does not take the setting).
        self.ignore_writes = False

    def status(self) -> dict:
        state = dict(self.state)
        if state["user mode"] == "manual":
            state["temp setpoint"] = state["temp manual setpoint"]
        elif state["temp override"]:
            state["temp setpoint"] = state["temp override temp setpoint"]
        if state["temp setpoint"] > state["in house temp"]:
            state["boiler indicator"] = "central heating"
        else:
            # The README's example shows the backend's short code "No" for a boiler at rest.
            state["boiler indicator"] = "No" if state["user mode"] == "clock" else "off"
        return state

    def write(self, path: str, value) -> None:
        self.writes.append((path, value))
        if self.ignore_writes:
            return
        if path == "/heatingCircuits/hc1/usermode":
            self.state["user mode"] = value
        elif path == "/heatingCircuits/hc1/temperatureRoomManual":
            self.state["temp manual setpoint"] = float(value)
        elif path == "/heatingCircuits/hc1/manualTempOverride/status":
            self.state["temp override"] = value == "on"
        elif path == "/heatingCircuits/hc1/manualTempOverride/temperature":
            self.state["temp override temp setpoint"] = float(value)


def _handler(fake: FakeNefit):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _failing(self) -> bool:
            with fake.lock:
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._answer(500, b"Error: request timed out\n    at Timeout._onTimeout", "text/html; charset=utf-8")
                    return True
            return False

        def do_GET(self):  # noqa: N802
            if self._failing():
                return
            if self.path == "/api/status":
                with fake.lock:
                    body = json.dumps(fake.status()).encode()
                self._answer(200, body, "application/json")
            elif self.path == "/bridge/ecus/rrc/userprogram/activeprogram":
                body = {"id": "/ecus/rrc/userprogram/activeprogram", "type": "floatValue", "recordable": 0,
                        "writeable": 1, "value": fake.active_program, "minValue": 0, "maxValue": 2}
                self._answer(200, json.dumps(body).encode(), "application/json")
            elif self.path == f"/bridge/ecus/rrc/userprogram/program{fake.active_program}":
                body = {"id": self.path[len("/bridge"):], "type": "UserProgram", "recordable": 0, "writeable": 1,
                        "value": fake.program}
                self._answer(200, json.dumps(body).encode(), "application/json")
            else:
                self._answer(404, b"Cannot GET " + self.path.encode(), "text/html")

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            if self._failing():
                return
            if not self.path.startswith("/bridge/"):
                self._answer(404, b"Cannot POST " + self.path.encode(), "text/html")
                return
            with fake.lock:
                fake.write(self.path[len("/bridge"):], payload.get("value"))
            self._answer(200, b'{"status":"ok"}', "application/json")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def nefit_server():
    """Yields (fake, base_url) of a running nefit-easy-http-server stand-in."""
    fake = FakeNefit()
    server = HTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
