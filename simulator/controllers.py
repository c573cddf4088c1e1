"""Controllers the benchmark can run, and the interface they share with onoff.

A controller is called once per simulated minute with the status the
controller API would serve (``GET /api/status``), the weather with its 48-hour
forecast and the instant; it answers with valve settings (applied to the
simulated valves as real eQ-3 frames) and a boiler request (applied as the
Nefit writes). ``make_controller(name)`` finds the simulator's own baseline
or any strategy of ``onoff.strategies``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ValveSetting:
    mode: str  # "manual", "away" (until ``until``) or "auto" (the valve's own program)
    target_c: float | None  # 4.5 .. 30.0 in 0.5 steps (30 = fully open, 5 = closed)
    until: datetime | None = None  # the end of an away setting (aware; on a half hour of the home's clock)


@dataclass
class ControlOutput:
    valves: dict[str, ValveSetting] = field(default_factory=dict)  # by valve MAC, upper case
    boiler_heat: bool | None = None  # True: heat; False: stop; None: the boiler's own clock program
    #: The rules (onoff.config.ControlConfig) the boiler request is written by; None: the defaults.
    config: object | None = None
    #: Valves (MACs) to read back: a status request each, one Bluetooth connection.
    reads: list[str] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)


class Controller(Protocol):
    name: str

    def step(self, status: dict, weather: dict, now: datetime) -> ControlOutput: ...


class SingleThermostat:
    """The baseline: a house without smart valves.

    Every radiator stays open; the boiler's own living-room thermostat runs
    its clock program with its hysteresis. The controller only has to leave
    things alone after opening each valve once.
    """

    name = "single-thermostat"

    def __init__(self) -> None:
        self._opened: set[str] = set()
        #: True once every valve is open: from then on the house runs by itself
        #: and the benchmark need not build a status for this controller.
        self.idle = False

    def step(self, status: dict, weather: dict, now: datetime) -> ControlOutput:
        valves = {}
        for room in status["rooms"]:
            for valve in room["valves"]:
                state = valve.get("state")
                if valve["mac"] not in self._opened and not (state and state["mode"] == "manual"
                                                             and state["target_c"] >= 30.0):
                    valves[valve["mac"]] = ValveSetting("manual", 30.0)
                self._opened.add(valve["mac"])
        self.idle = not valves
        return ControlOutput(valves=valves, boiler_heat=None)


BUILTIN = {"single-thermostat": SingleThermostat}


def controller_names() -> list[str]:
    """Every controller name the benchmark accepts."""
    names = list(BUILTIN)
    try:
        from onoff.strategies import names as onoff_names
    except ImportError:
        return names
    return names + [n for n in onoff_names() if n not in BUILTIN]


def make_controller(name: str) -> Controller:
    """The controller called ``name``; ``KeyError`` naming the known ones if there is none."""
    if name in BUILTIN:
        return BUILTIN[name]()
    try:
        from onoff.sim import make_controller as make_onoff
    except ImportError as exc:
        raise KeyError(f"unknown controller {name!r}; onoff is not importable ({exc})") from None
    try:
        return make_onoff(name)
    except KeyError:
        raise KeyError(f"unknown controller {name!r}; known: {', '.join(controller_names())}") from None
