"""`python -m onoff run` runs the control loop; `python -m onoff tick [--dry-run]` does one tick;
`python -m onoff health` says whether the running loop still ticks (the container's health check)."""
from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onoff", description="The heating control loop.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="tick every minute until stopped; then hand the house back")
    once = commands.add_parser("tick", help="one tick; prints the decisions as JSON")
    once.add_argument("--dry-run", action="store_true", help="decide only: send no command, record nothing")
    health = commands.add_parser("health", help="exit 0 if the running loop ticked within 3 tick intervals, "
                                                "else say why and exit 1")
    health.add_argument("--kill-stuck", action="store_true",
                        help="also SIGKILL a stuck loop, so that its container exits and is restarted")
    args = parser.parse_args(argv)

    from common.cli import configure_logging, load_settings
    from onoff.settings import OnoffSettings

    # The health check reads only the heartbeat: it needs no secret.
    settings = load_settings(OnoffSettings, "onoff", secrets=args.command != "health")
    if settings is None:
        return 2
    if args.command == "health":
        return _health(settings, args.kill_stuck)
    configure_logging(settings)

    from onoff import service

    if args.command == "run":
        return service.run(settings)
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


def _health(settings, kill_stuck: bool) -> int:
    from onoff.heartbeat import check, kill_stuck as kill

    health = check(settings.heartbeat_path, settings.tick_wall_s)
    if health.ok:
        print(f"onoff: healthy: {health.message}")
        return 0
    print(f"onoff: unhealthy: {health.message}", file=sys.stderr)
    if kill_stuck:
        print(f"onoff: {kill(health.pid)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
