"""A real HTTP server speaking the simulated house's advertisement stream (newline-delimited JSON)."""
from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

DROP = object()  # put on the queue: the server ends the current connection


class AdvertStreamServer:
    def __init__(self):
        self.lines: queue.Queue = queue.Queue()
        self.connections = 0
        self._closing = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802 - the stdlib's name
                owner.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                while not owner._closing.is_set():
                    try:
                        item = owner.lines.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    if item is DROP:
                        return
                    try:
                        self.wfile.write(item.encode() + b"\n")
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/adverts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def send(self, address: str, uuid16: int, payload: bytes, rssi: int = -71, name: str | None = None,
             time: str = "2026-01-12T05:29:10.123Z") -> None:
        """One advertisement in the stream's format."""
        self.lines.put(json.dumps({
            "address": address, "rssi": rssi, "local_name": name,
            "service_data": {f"0000{uuid16:04x}-0000-1000-8000-00805f9b34fb": payload.hex()}, "time": time,
        }))

    def send_raw(self, line: str) -> None:
        self.lines.put(line)

    def drop(self) -> None:
        self.lines.put(DROP)

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def advert_stream():
    server = AdvertStreamServer()
    yield server
    server.stop()
