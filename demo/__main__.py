"""``make demo``: the whole system against the simulated house, without Docker.

Ctrl-C, closing the terminal (SIGHUP) and SIGTERM all stop everything cleanly.
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

from demo.stack import ROOT, Stack, StackConfig, StackError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(BaseException):
    """A stop signal arrived: unwinds whatever the demo was doing (starting included) to the stop."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum, frame):
    if signum == signal.SIGHUP:
        # The terminal is gone: what the demo still says goes to its log, not to a closed tty
        # (writing there fails, and a failing write must not keep the stop from happening).
        _to_log_only()
    global _stopping
    if _stopping:
        return  # a second signal must not cut the first one's stop (the hand-back of the house) short
    _stopping = True
    raise Stop(signum)


def _to_log_only() -> None:
    logs = _workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    fd = os.open(logs / "demo.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (1, 2):
        os.dup2(fd, stream)
    os.close(fd)


_workdir = ROOT / ".demo"
_stopping = False


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
    parser.add_argument("--workdir", type=Path, default=ROOT / ".demo",
                        help="where the database, logs and spools are kept; default .demo")
    parser.add_argument("--no-page", action="store_true", help="do not build the page (the API still runs)")
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

    global _workdir
    _workdir = args.workdir.resolve()
    stack = Stack(StackConfig(speed=args.speed, start=args.start, api_port=args.port, house_file=args.house,
                              fresh=args.fresh, strategy=args.strategy, mqtt_url=args.mqtt, workdir=_workdir,
                              build_page=not args.no_page))
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)
    try:
        try:
            stack.start()
        except Stop as stop:
            return _stopped(stop)
        except Exception as exc:  # noqa: BLE001 - every failure to start is said in one line, no traceback
            print(f"error: the demo did not start: {exc}", file=sys.stderr)
            print(f"(logs in {_workdir / 'logs'})", file=sys.stderr)
            return 1
        print("\nThe heating system runs against the simulated house:")
        for name, url in stack.urls().items():
            print(f"  {name:16} {url}")
        print(f"  {'password':16} {stack.config.password}")
        print(f"  {'logs':16} {stack.config.workdir / 'logs'}")
        print("Ctrl-C stops everything.\n", flush=True)
        while True:
            stack.check_alive()
            time.sleep(1)
    except Stop as stop:
        code = _stopped(stop, stack)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
        _stop_quietly(stack)
    return code


def _stopped(stop: Stop, stack: Stack | None = None) -> int:
    """A stop signal: everything stops (already done when it came while starting)."""
    if stack is not None:
        print(f"stopping ({stop})…", flush=True)
        _stop_quietly(stack)
    return 128 + stop.signum


def _stop_quietly(stack: Stack) -> None:
    global _stopping
    _stopping = True
    stack.stop()

if __name__ == "__main__":
    sys.exit(main())
