"""An HTTP server that answers like robertklep/nefit-easy-http-server, over the simulated boiler.

What this project uses of the real server (lib/cli/server.js and
nefit-easy-commands):

- ``GET /api/status``: nefit-easy-commands' status() keys ("user mode",
  "in house temp", "boiler indicator", …);
- ``GET /bridge/<path>``: the backend value ``{"id", "type", "value", …}``;
- ``POST /bridge/<path>`` with ``{"value": …}``: ``{"status": "ok"}``;
- errors: HTTP 500 with a plain-text body; one request at a time (the real
  backend is a single XMPP session).

``fail_next(n)`` makes the next ``n`` requests fail with a 500, as the real
server does when the Bosch backend times out; ``set_unreachable(True)`` makes
every request fail so until ``set_unreachable(False)`` (a backend outage).
"""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from simulator.boiler import BoilerRejected, NefitBoiler, UnknownPath

log = logging.getLogger("simulator.nefit")

#: The /api/<command> reads the project may make; the real server runs any
#: client method there, this one answers only these.
API_READS = ("status", "pressure", "supplyTemperature", "userMode")


class NefitServer:
    """Serves the boiler on ``host:port`` from a thread; ``start()``/``stop()``, ``url``."""

    def __init__(self, boiler: NefitBoiler, host: str = "127.0.0.1", port: int = 0):
        self.boiler = boiler
        self._fail = 0
        self._unreachable = False
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            # One connection per request: a kept-alive connection would block
            # every other client of this one-at-a-time server.
            protocol_version = "HTTP/1.0"

            def log_message(self, fmt, *args):  # the access log goes to debug, not stderr
                log.debug("nefit %s", fmt % args)

            def _send(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, value) -> None:
                self._send(200, json.dumps(value).encode(), "application/json; charset=utf-8")

            def _error(self, text: str) -> None:
                self._send(500, text.encode(), "text/html; charset=utf-8")

            def _failing(self) -> bool:
                with server._lock:
                    if server._unreachable:
                        return True
                    if server._fail > 0:
                        server._fail -= 1
                        return True
                return False

            def do_GET(self):
                if self._failing():
                    return self._error("Error: REQUEST_TIMEOUT\n    at simulated backend")
                path = self.path.split("?", 1)[0]
                if path.startswith("/bridge/"):
                    try:
                        return self._json(server.boiler.bridge_get(path[len("/bridge"):]))
                    except UnknownPath:
                        return self._error(f"Error: INVALID_PATH {path[len('/bridge'):]}")
                if path.startswith("/api/"):
                    return self._api(path[len("/api/"):].strip("/"))
                self._send(404, f"Cannot GET {path}".encode(), "text/html; charset=utf-8")

            def _api(self, command: str) -> None:
                boiler = server.boiler
                if command == "status":
                    return self._json(boiler.status())
                if command == "pressure":
                    return self._json({"pressure": 1.8, "unit": "bar"})
                if command == "supplyTemperature":
                    return self._json({"temperature": round(boiler.supply_temp_c, 1), "unit": "C"})
                if command == "userMode":
                    return self._json({"value": boiler.user_mode})
                return self._error(f"Error: unknown command {command!r}")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self._failing():
                    return self._error("Error: REQUEST_TIMEOUT\n    at simulated backend")
                path = self.path.split("?", 1)[0]
                if not path.startswith("/bridge/"):
                    return self._send(404, f"Cannot POST {path}".encode(), "text/html; charset=utf-8")
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._error("SyntaxError: Unexpected token in JSON")
                if not isinstance(body, dict) or "value" not in body:
                    return self._error("Error: body needs a value")
                try:
                    server.boiler.bridge_post(path[len("/bridge"):], body["value"])
                except BoilerRejected as exc:
                    return self._error(str(exc))
                except UnknownPath as exc:
                    return self._error(f"Error: INVALID_PATH {exc}")
                log.info("boiler: %s set to %r", path[len("/bridge/"):], body["value"])
                self._json({"status": "ok"})

        self._server = HTTPServer((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host}:{self.port}"

    def fail_next(self, count: int) -> None:
        """The next ``count`` requests answer 500, as when the Bosch backend does not answer."""
        with self._lock:
            self._fail = max(0, int(count))

    def set_unreachable(self, unreachable: bool) -> None:
        """While True, every request answers 500 as when the Bosch backend does not answer."""
        with self._lock:
            self._unreachable = bool(unreachable)

    @property
    def unreachable(self) -> bool:
        with self._lock:
            return self._unreachable

    def start(self) -> "NefitServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="nefit-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
