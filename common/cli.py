"""Start-up shared by the services' command lines: settings, logging, signals."""
from __future__ import annotations

import logging
import signal
import sys
from typing import Callable, Protocol, TypeVar

from pydantic import ValidationError

from common.settings import SecretError
from common.spool import SpoolInUse

S = TypeVar("S")


class Service(Protocol):
    def run(self) -> int: ...
    def stop(self) -> None: ...


def load_settings(settings_cls: Callable[[], S], program: str, secrets: bool = True) -> S | None:
    """The service's settings, or None after printing which key is wrong (or which secret is weak)."""
    try:
        settings = settings_cls()
    except ValidationError as exc:
        print(f"{program}: error: bad settings:\n{exc}", file=sys.stderr)
        return None
    try:
        check = getattr(settings, "check_secrets", None)
        if secrets and check is not None:
            check()
    except SecretError as exc:
        print(f"{program}: error: {exc}", file=sys.stderr)
        return None
    return settings


def configure_logging(settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_service(settings_cls: Callable[[], S], make_service: Callable[[S], Service], program: str) -> int:
    """Runs a long-lived service until SIGTERM/SIGINT; exit status 2 for bad settings."""
    settings = load_settings(settings_cls, program)
    if settings is None:
        return 2
    configure_logging(settings)
    try:
        service = make_service(settings)
    except SpoolInUse as exc:
        print(f"{program}: error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    signal.signal(signal.SIGINT, lambda *_: service.stop())
    return service.run()
