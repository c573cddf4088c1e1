"""A real HTTP server (stdlib, threaded) in front of a BridgeCore."""
from __future__ import annotations

import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from thermostat_reader.valve_bridge.core import BridgeCore

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
UNAUTHORIZED = {"error": "unauthorized", "message": "send Authorization: Bearer <bridge token>"}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = MAX_BODY_BYTES + 1
        if length > MAX_BODY_BYTES:
            # The unread body would be taken for the next request on this connection.
            self.close_connection = True
            self._send(400, {"error": "bad_request", "message": "the body is too large"})
            return
        body = self.rfile.read(length) if length > 0 else b""
        # In front of every route: anyone on the network can reach the bridge,
        # only the control loop knows its token.
        if not self.server.authorized(self.headers.get("Authorization", "")):
            self._send(401, UNAUTHORIZED)
            return
        reply = self.server.core.handle(self.command, self.path, body)
        self._send(reply.status, reply.body)

    def _send(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        log.debug("bridge %s: " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], core: BridgeCore, token: str):
        super().__init__(address, _Handler)
        self.core = core
        self._expected = f"Bearer {token}".encode() if token else None

    def authorized(self, header: str) -> bool:
        # No token configured lets nobody in. compare_digest: the time does not tell how much was right.
        return self._expected is not None and hmac.compare_digest(header.strip().encode(), self._expected)


class ContractHttpServer:
    """Serves ``core`` on ``host:port`` (port 0 picks a free one) in a background thread.

    Every request needs ``Authorization: Bearer <token>``; without a token it refuses every request.
    """

    def __init__(self, core: BridgeCore, host: str = "127.0.0.1", port: int = 0, *, token: str):
        self.core = core
        self.token = token
        self._server = _Server((host, port), core, token)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    def start(self) -> "ContractHttpServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="valve-bridge-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe whether or not start() ran."""
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
