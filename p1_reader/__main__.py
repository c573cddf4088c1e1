"""Command line of the P1 reader.

    python -m p1_reader [run]              read the meter and post its readings (the default)
    python -m p1_reader parse [FILE|-]     print one JSON object per telegram in a file (or stdin)
"""
from __future__ import annotations

import argparse
import json
import sys

from p1_reader.telegrams import SPECIFICATIONS, TelegramError, TelegramStream, parse_telegram, specification


def _parse_command(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    spec = specification(args.dsmr_version)
    found = failed = 0
    for text in TelegramStream().feed(data):
        try:
            telegram = parse_telegram(text, spec)
        except TelegramError as exc:
            failed += 1
            print(f"error: telegram {found + failed} skipped: {exc}", file=sys.stderr)
            continue
        found += 1
        out = telegram.to_json()
        print(json.dumps({"gas_m3": out["gas_m3"], "gas_time": out["gas_time"], "gas_meter_id": out["gas_meter_id"],
                          "gas_channel": out["gas_channel"], "time": out["time"],
                          **{k: out[k] for k in ("delivered_t1_kwh", "delivered_t2_kwh", "returned_t1_kwh",
                                                 "returned_t2_kwh")},
                          "power_kw": out["power_delivered_kw"], "power_returned_kw": out["power_returned_kw"]}))
    if found == 0:
        print("error: no complete telegram found (a telegram starts with '/' and ends with '!' and its CRC)",
              file=sys.stderr)
        return 1
    return 0


def _run_command(args: argparse.Namespace) -> int:
    from common.cli import run_service
    from p1_reader.service import P1Service
    from p1_reader.settings import P1Settings

    return run_service(P1Settings, P1Service, "p1_reader")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m p1_reader", description="P1 smart meter reader.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="read the meter and post its readings (default)").set_defaults(
        handler=_run_command)
    parse = commands.add_parser("parse", help="print the telegrams of a file as JSON lines")
    parse.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    parse.add_argument("--dsmr-version", default="5", choices=sorted(SPECIFICATIONS),
                       help="DSMR version of the telegrams (default 5; 5B for Belgian meters)")
    parse.set_defaults(handler=_parse_command)
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_command(args)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
