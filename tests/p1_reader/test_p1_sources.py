"""p1_reader.sources: a serial port (a real pseudo-terminal) and a TCP bridge."""
from __future__ import annotations

import os
import socket
import time

import pytest

from p1_reader.sources import SerialConnection, open_p1


def test_serial_port_reads_bytes_and_times_out_when_silent(recorded):
    master, slave = os.openpty()
    try:
        connection = open_p1(os.ttyname(slave), "5", timeout_s=0.3)
        assert isinstance(connection, SerialConnection)
        os.write(master, recorded.V5.encode())
        received = b""
        while len(received) < len(recorded.V5):
            received += connection.read()
        assert received == recorded.V5.encode()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            connection.read()
        assert time.monotonic() - started < 2
        connection.close()
    finally:
        os.close(master)
        os.close(slave)


def test_a_missing_serial_port_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        open_p1(str(tmp_path / "ttyUSB9"), "4", timeout_s=0.3)


def test_tcp_bridge_reads_and_reports_a_closed_connection():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    connection = open_p1(f"tcp://127.0.0.1:{port}", "5", timeout_s=0.3)
    peer, _ = listener.accept()
    peer.sendall(b"/ISK5\r\n")
    assert connection.read() == b"/ISK5\r\n"
    with pytest.raises(TimeoutError):
        connection.read()
    peer.close()
    assert connection.read() == b""
    connection.close()
    listener.close()
