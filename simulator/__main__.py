"""python -m simulator {run, provision, bench, choose-days}: the simulated house from the command line.

    python -m simulator run [--house FILE] [--http-port 8090] [--nefit-port 3000] [--p1-port 2323]
    python -m simulator provision --api URL --token TOKEN [--house FILE]
    python -m simulator bench --scenario {peak,typical} --controller NAME [--json] [--plot FILE]
                                  [--warmup-days D] [--test-days D]
    python -m simulator choose-days [--house FILE]

Bad input ends with a message naming it and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

from pydantic import ValidationError

from common.settings import SecretError, ServiceSettings


class SimulatorSettings(ServiceSettings):
    """Settings of the live simulated house (environment HEATING_SIM_*)."""

    #: House description file (TOML); empty for the default house.
    sim_house: str | None = None
    #: Address the device surfaces listen on.
    sim_host: str = "127.0.0.1"
    #: Advertisement stream and control port.
    sim_http_port: int = 8090
    #: nefit-easy-http-server stand-in.
    sim_nefit_port: int = 3000
    #: P1 telegrams (TCP, like ser2net).
    sim_p1_port: int = 2323
    #: The token the simulated bridges take (run) and that provisioning gives them in the API.
    bridge_token: str = ""

    required_secrets = ("HEATING_BRIDGE_TOKEN",)

    def secrets(self) -> dict[str, str | None]:
        return {"HEATING_BRIDGE_TOKEN": self.bridge_token or None}


def _fail(message: str) -> int:
    print(f"simulator: {message}", file=sys.stderr)
    return 2


def _bridge_ports(values: list[str] | None) -> dict[str, int]:
    ports = {}
    for value in values or []:
        name, _, port = value.partition("=")
        if not port.isdigit():
            raise ValueError(f"--bridge-port {value!r}: expected NAME=PORT, e.g. pi=8091")
        ports[name] = int(port)
    return ports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="The simulated house.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run the house live with all its device surfaces")
    p_run.add_argument("--house", help="house description (TOML)")
    p_run.add_argument("--host")
    p_run.add_argument("--http-port", type=int)
    p_run.add_argument("--nefit-port", type=int)
    p_run.add_argument("--p1-port", type=int)
    p_run.add_argument("--bridge-port", action="append", metavar="NAME=PORT", help="override a bridge's port")
    p_run.add_argument("--bluez-socket", metavar="PATH",
                       help="serve org.bluez on a private D-Bus listening here (DBUS_SYSTEM_BUS_ADDRESS=unix:path=PATH)")
    p_run.add_argument("--bluez-bridge", action="append", metavar="NAME", default=[],
                       help="with --bluez-socket: this bridge's valves are reached over the simulated BlueZ "
                            "(by the product's Pi bridge), not served by the simulator")
    p_prov = sub.add_parser("provision", help="create the house's rooms and devices through the controller API")
    p_prov.add_argument("--api", required=True, help="controller API base URL, e.g. http://127.0.0.1:8000")
    p_prov.add_argument("--token", required=True, help="the service token")
    p_prov.add_argument("--house", help="house description (TOML)")
    p_prov.add_argument("--bridge-host", default="127.0.0.1", help="host the simulated bridges listen on")
    p_prov.add_argument("--bridge-port", action="append", metavar="NAME=PORT")
    p_prov.add_argument("--pi-bridge", action="append", metavar="NAME", default=[],
                        help="this bridge is the product's Pi bridge (kind pi), not a simulated one")
    p_prov.add_argument("--wait", type=float, default=60.0, metavar="S",
                        help="keep trying this long while the API is unreachable or failing (default 60)")
    p_bench = sub.add_parser("bench", help="run the control benchmark")
    p_bench.add_argument("--scenario", choices=["peak", "typical"], required=True)
    p_bench.add_argument("--controller", required=True)
    p_bench.add_argument("--house", help="house description (TOML)")
    p_bench.add_argument("--json", action="store_true", help="print the report as JSON")
    p_bench.add_argument("--plot", help="write gas against discomfort to this PNG file")
    p_bench.add_argument("--warmup-days", type=float, metavar="D", help="unscored days before the test (default 7)")
    p_bench.add_argument("--test-days", type=float, metavar="D", help="scored days around the scenario's day (default 14)")
    p_days = sub.add_parser("choose-days", help="recompute the peak and typical days from a baseline season")
    p_days.add_argument("--house", help="house description (TOML)")
    args = parser.parse_args(argv)

    try:
        settings = SimulatorSettings()
    except ValidationError as exc:
        return _fail(f"bad setting: {exc}")
    if args.command in ("run", "provision"):
        try:
            settings.check_secrets()
        except SecretError as exc:
            return _fail(str(exc))
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from simulator.house import HouseError, load_house

    try:
        house = load_house(args.house or settings.sim_house)
        bridge_ports = _bridge_ports(getattr(args, "bridge_port", None))
    except (HouseError, ValueError) as exc:
        return _fail(str(exc))

    if args.command == "run":
        from common.clock import Clock
        from simulator.live import LiveHouse

        try:
            live = LiveHouse(house, Clock.from_settings(settings), host=args.host or settings.sim_host,
                             http_port=args.http_port or settings.sim_http_port,
                             nefit_port=args.nefit_port or settings.sim_nefit_port,
                             p1_port=args.p1_port or settings.sim_p1_port, bridge_ports=bridge_ports,
                             bluez_socket=args.bluez_socket, bluez_bridges=frozenset(args.bluez_bridge),
                             bridge_token=settings.bridge_token)
        except OSError as exc:
            return _fail(f"cannot listen: {exc} (is another simulator running? choose other ports)")
        except (ValueError, RuntimeError) as exc:
            return _fail(str(exc))
        live.run_forever()
        return 0

    if args.command == "provision":
        from common.api_client import ApiClient, ApiError
        from simulator.provision import provision

        import time

        from common.api_client import ApiUnavailable

        client = ApiClient(args.api, args.token)
        # Provisioning is idempotent, so an API that is still starting (a gunicorn worker
        # migrating, a loaded machine) is simply asked again; a refusal (4xx) is final.
        deadline = time.monotonic() + max(0.0, args.wait)
        try:
            while True:
                try:
                    report = provision(client, house, bridge_host=args.bridge_host, bridge_ports=bridge_ports,
                                       pi_bridges=frozenset(args.pi_bridge), bridge_token=settings.bridge_token)
                    break
                except ApiUnavailable as exc:
                    if time.monotonic() >= deadline:
                        return _fail(f"the controller API failed: {exc}")
                    logging.getLogger("simulator.provision").warning("the API is not answering (%s); trying again", exc)
                    time.sleep(2.0)
                except ApiError as exc:
                    return _fail(f"the controller API refused: {exc}")
        finally:
            client.close()
        print(f"created {len(report.created)}, updated {len(report.updated)}, "
              f"already there {len(report.skipped)}")
        for line in report.created:
            print(f"  + {line}")
        for line in report.updated:
            print(f"  ~ {line}")
        return 0

    if args.command == "bench":
        from simulator.bench import benchmark, plot
        from simulator.controllers import controller_names

        if args.controller not in controller_names():
            return _fail(f"unknown controller {args.controller!r}; known: {', '.join(controller_names())}")
        for flag, value in (("--warmup-days", args.warmup_days), ("--test-days", args.test_days)):
            if value is not None and not 0 <= value <= 28:
                return _fail(f"{flag} {value:g}: expected 0 to 28 days")
        if args.test_days is not None and args.test_days < 1 / 24:
            return _fail("--test-days must be at least an hour (1/24)")
        report = benchmark(house, args.scenario, args.controller, frontier=bool(args.plot),
                           warmup_days=args.warmup_days, test_days=args.test_days)
        if args.plot:
            plot(report, args.plot)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            _print_report(report)
        return 0

    if args.command == "choose-days":
        from simulator.bench import choose_days

        print(json.dumps(choose_days(house), indent=2))
        return 0
    return 2


def _print_report(report: dict) -> None:
    print(f"{report['scenario']} fortnight: test {report['test_start']} + {report['test_days']} days "
          f"(after {report['warmup_days']} days warm-up); simulated in {report['simulation_wall_s']} s, "
          f"bound in {report['bound_wall_s']} s")
    rows = [
        ("discomfort (Kh/room)", "discomfort_kh_per_room"),
        ("occupied cold (Kh/room)", "occupied_cold_discomfort_kh_per_room"),
        ("occupied warm (Kh/room)", "occupied_warm_discomfort_kh_per_room"),
        ("baseline raised (K)", "raised_k"), ("gas (m³)", "gas_m3"), ("gas (kWh)", "gas_kwh"), ("  space heating (m³)", "gas_space_heating_m3"),
        ("  hot water (m³)", "gas_hot_water_m3"), ("gas vs baseline", "gas_ratio_vs_baseline"),
        ("bound at same comfort (m³)", "bound_gas_m3"), ("gap closed (%)", "gap_closed_pct"),
        ("boiler starts/day", "boiler_starts_per_day"), ("boiler starts/hour max", "boiler_starts_per_hour_max"),
        ("burns < 10 min", "short_burn_share"),
        ("valve moves/valve/day mean", "valve_moves_per_valve_per_day_mean"),
        ("valve moves/valve/day max", "valve_moves_per_valve_per_day_max"),
        ("valve connections/valve/day", "valve_connections_per_valve_per_day"),
        ("of which read-backs", "valve_reads_per_valve_per_day"), ("compute ratio", "compute_ratio"),
    ]
    names = list(report["controllers"])
    print(f"{'':30}" + "".join(f"{n:>26}" for n in names))
    for label, key in rows:
        cells = []
        for n in names:
            value = report["controllers"][n].get(key)
            cells.append(f"{value:>26.3g}" if isinstance(value, float) and key == "compute_ratio"
                         else f"{'—' if value is None else value:>26}")
        print(f"{label:30}" + "".join(cells))
    base = report["baseline"]
    print(f"{report['controller']}: {report['gas_m3']} m³ = {report['gas_ratio']} × the baseline's "
          f"{base['gas_m3']} m³ (raised {base['raised_k']:g} K); bound {report['bound']['gas_m3']} m³; "
          f"gap closed {report['gap_closed_pct']} %")


if __name__ == "__main__":
    sys.exit(main())
