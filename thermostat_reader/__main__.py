"""Command line of the thermometer reader.

    python -m thermostat_reader [run]                 run the service (the default)
    python -m thermostat_reader decode UUID HEX [--bindkey HEX] [--mac MAC]
    python -m thermostat_reader scan [--seconds N]    print what is heard, one JSON line each
"""
from __future__ import annotations

import argparse
import json
import sys
import threading

from protocols.lywsd03mmc import DecodeError, decode, normalize_service_uuid


def _decode_command(args: argparse.Namespace) -> int:
    try:
        payload = bytes.fromhex(args.payload.replace(":", "").replace(" ", ""))
    except ValueError:
        print(f"error: PAYLOAD_HEX {args.payload!r} is not hexadecimal", file=sys.stderr)
        return 2
    key = None
    if args.bindkey:
        try:
            key = bytes.fromhex(args.bindkey)
        except ValueError:
            print(f"error: --bindkey {args.bindkey!r} is not hexadecimal", file=sys.stderr)
            return 2
    try:
        reading = decode(args.service_uuid, payload, mac=args.mac, bind_key=key)
    except DecodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = reading.values()
    if reading.mac:
        out["mac"] = reading.mac
    if reading.packet_id is not None:
        out["packet_id"] = reading.packet_id
    out["encrypted"] = reading.encrypted
    print(json.dumps(out))
    return 0


def _scan_command(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from thermostat_reader.service import make_source
    from thermostat_reader.settings import ReaderSettings
    from thermostat_reader.sources import Advert

    try:
        settings = ReaderSettings()
    except ValidationError as exc:
        print(f"error: bad settings: {exc}", file=sys.stderr)
        return 2
    lock = threading.Lock()

    def show(advert: Advert) -> None:
        for uuid, payload in advert.service_data.items():
            line: dict = {"mac": advert.address, "rssi": advert.rssi, "name": advert.local_name}
            try:
                normalize_service_uuid(uuid)
            except DecodeError:
                continue
            try:
                line.update(decode(uuid, payload, mac=advert.address).values())
            except DecodeError as exc:
                line.update({"payload": payload.hex(), "error": f"{type(exc).__name__}: {exc}"})
            with lock:
                print(json.dumps(line), flush=True)

    source = make_source(settings)
    try:
        source.start(show)
    except Exception as exc:  # an adapter fails in many ways; the person at the Pi needs the message
        print(f"error: could not start listening: {exc}", file=sys.stderr)
        return 1
    try:
        threading.Event().wait(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        source.stop()
    return 0


def _run_command(args: argparse.Namespace) -> int:
    from common.cli import run_service
    from thermostat_reader.service import ReaderService
    from thermostat_reader.settings import ReaderSettings

    return run_service(ReaderSettings, ReaderService, "thermostat_reader")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m thermostat_reader",
                                     description="Bluetooth thermometer reader (and the Pi's valve bridge).")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="run the service (default)")
    run.set_defaults(handler=_run_command)
    dec = commands.add_parser("decode", help="decode one advertisement payload")
    dec.add_argument("service_uuid", metavar="SERVICE_UUID", help="181a, fcd2, fe95, 0x181A or the 128-bit form")
    dec.add_argument("payload", metavar="PAYLOAD_HEX")
    dec.add_argument("--bindkey", help="32 hex digits, for encrypted formats")
    dec.add_argument("--mac", help="the sender's MAC, for encrypted formats that do not carry it")
    dec.set_defaults(handler=_decode_command)
    scan = commands.add_parser("scan", help="print what is heard, one JSON line per advertisement")
    scan.add_argument("--seconds", type=float, default=30.0)
    scan.set_defaults(handler=_scan_command)
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_command(args)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
