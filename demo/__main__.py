"""``make demo``: the whole system against the simulated house, without Docker.

Ctrl-C stops everything cleanly.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from demo.stack import Stack, StackConfig, StackError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per real second (e.g. 60: an hour a minute); default 1")
    parser.add_argument("--start", type=datetime.fromisoformat, default=None,
                        help="simulated start, e.g. 2027-01-11T05:00:00+01:00 (a cold Monday morning); default now")
    parser.add_argument("--port", type=int, default=8000, help="port of the page and the API; default 8000")
    parser.add_argument("--house", type=Path, default=None, help="a house-description TOML file")
    parser.add_argument("--fresh", action="store_true", help="forget the previous demo's database first")
    parser.add_argument("--strategy", default="zoning", help="control strategy of onoff; default zoning")
    parser.add_argument("--mqtt", metavar="URL", default=None,
                        help="an MQTT broker, mqtt://host:1883 (credentials, mqtts:// for TLS): the house in Home "
                             "Assistant; topics from HEATING_MQTT_DISCOVERY_PREFIX and HEATING_MQTT_BASE_TOPIC")
    args = parser.parse_args(argv)
    if args.mqtt is not None:
        from common.mqtt import parse_mqtt_url
        from mqtt_gateway.settings import check_topic_prefix

        try:
            if parse_mqtt_url(args.mqtt).path:
                raise ValueError("--mqtt names the broker only, e.g. mqtt://127.0.0.1:1883")
            for name in ("HEATING_MQTT_DISCOVERY_PREFIX", "HEATING_MQTT_BASE_TOPIC"):
                if os.environ.get(name):
                    check_topic_prefix(os.environ[name], name)
        except ValueError as exc:
            parser.error(str(exc))
    if not 0 < args.speed <= 1000:
        parser.error("--speed must be between 0 and 1000")
    if args.start is not None and args.start.tzinfo is None:
        parser.error("--start needs a UTC offset, e.g. 2027-01-11T05:00:00+01:00")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    stack = Stack(StackConfig(speed=args.speed, start=args.start, api_port=args.port, house_file=args.house,
                              fresh=args.fresh, strategy=args.strategy, mqtt_url=args.mqtt))
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
    except (StackError, OSError) as exc:
        print(f"error: the demo did not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print("\nThe heating system runs against the simulated house:")
    for name, url in stack.urls().items():
        print(f"  {name:16} {url}")
    print(f"  {'password':16} {stack.config.password}")
    print(f"  {'logs':16} {stack.config.workdir / 'logs'}")
    print("Ctrl-C stops everything.\n")
    try:
        while not stopping:
            stack.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    print("stopping…")
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
