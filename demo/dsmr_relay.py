"""The demo's stand-in for dsmr-reader: the simulated meter's telegrams, one MQTT message each.

    python -m demo.dsmr_relay --from tcp://127.0.0.1:2323 --to mqtt://broker:1883/heating/dsmr/raw

dsmr-reader reads the meter's port and, with its "MQTT: Telegram (as raw string)" setting on,
publishes every telegram as read to a topic (default ``dsmr/raw``); this does the same with the
simulated house's P1 port, so ``make demo --mqtt`` shows the P1 reader living beside it.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading

from common.mqtt import make_client, parse_mqtt_url
from p1_reader.sources import TcpConnection
from p1_reader.telegrams import TelegramStream

log = logging.getLogger("demo.dsmr_relay")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.dsmr_relay", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="the meter's port, tcp://host:port")
    parser.add_argument("--to", dest="target", required=True, help="mqtt://broker:port/topic")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, _, port = args.source.removeprefix("tcp://").rpartition(":")
    try:
        broker = parse_mqtt_url(args.target)
    except ValueError as exc:
        parser.error(str(exc))
    if not broker.path:
        parser.error("--to needs a topic: mqtt://broker:1883/dsmr/raw")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    client = make_client(broker, f"home-heating-demo-dsmr-{socket.gethostname()}-{os.getpid()}")
    client.connect_async(broker.host, broker.port)
    client.loop_start()
    published = 0
    try:
        while not stop.is_set():
            try:
                meter = TcpConnection(host, int(port), 1.0)
            except OSError as exc:
                log.warning("cannot reach the meter at %s: %s", args.source, exc)
                stop.wait(2)
                continue
            stream = TelegramStream()
            try:
                while not stop.is_set():
                    try:
                        data = meter.read()
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    for telegram in stream.feed(data):
                        if client.is_connected():
                            client.publish(broker.path, telegram, qos=0)
                            published += 1
                            if published == 1 or published % 600 == 0:
                                log.info("%d telegrams published to %s", published, broker.path)
            except OSError as exc:
                log.warning("the meter's port failed: %s", exc)
            finally:
                meter.close()
    except KeyboardInterrupt:
        pass
    finally:
        client.loop_stop()
        client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
