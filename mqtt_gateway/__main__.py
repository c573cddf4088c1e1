"""Command line of the MQTT gateway.

    python -m mqtt_gateway [run]     the house in Home Assistant over MQTT (the default)
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mqtt_gateway",
                                     description="The house in Home Assistant over MQTT (discovery, state, commands).")
    parser.add_argument("command", nargs="?", default="run", choices=["run"])
    parser.parse_args(argv)
    from common.cli import run_service
    from mqtt_gateway.service import GatewayService
    from mqtt_gateway.settings import MqttSettings

    return run_service(MqttSettings, GatewayService, "mqtt_gateway")


if __name__ == "__main__":
    sys.exit(main())
