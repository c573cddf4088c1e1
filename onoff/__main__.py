"""`python -m onoff run` runs the control loop; `python -m onoff tick [--dry-run]` does one tick."""
from __future__ import annotations

import argparse
import json
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onoff", description="The heating control loop.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="tick every minute until stopped; then hand the house back")
    once = commands.add_parser("tick", help="one tick; prints the decisions as JSON")
    once.add_argument("--dry-run", action="store_true", help="decide only: send no command, record nothing")
    args = parser.parse_args(argv)

    from common.cli import configure_logging, load_settings
    from onoff.settings import OnoffSettings

    settings = load_settings(OnoffSettings, "onoff")
    if settings is None:
        return 2
    configure_logging(settings)
    # The scheduler would log every tick twice; the loop logs what it did instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    from onoff import service

    if args.command == "run":
        service.run(settings)
        return 0
    loop = service.ControlLoop.from_settings(settings, dry_run=args.dry_run)
    try:
        report = loop.tick()
    finally:
        loop.close()
    if not report.status_ok:
        print("onoff: the API did not give a status; nothing decided", file=sys.stderr)
        return 1
    print(json.dumps({
        "time": report.time.isoformat(),
        "decisions": report.decisions,
        "valve_commands": [{"mac": c.mac, "room": c.room_name, "mode": c.mode, "target_c": c.target_c,
                            "reason": c.reason} for c in report.valve_commands],
        "boiler_heat": report.boiler_heat,
        "valve_errors": report.valve_errors,
        "boiler_error": report.boiler_error,
    }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
