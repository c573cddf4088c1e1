"""Controllers the benchmark can run, behind onoff's controller interface (``onoff.sim``).

A controller is called once per simulated minute with the status the
controller API would serve (``GET /api/status``), the weather with its 48-hour
forecast and the instant; it answers with valve settings (applied to the
simulated valves as real eQ-3 frames) and a boiler request (applied as the
Nefit writes). ``make_controller(name)`` finds the simulator's own baseline
or any strategy of ``onoff.strategies``.
"""
from __future__ import annotations

from datetime import datetime

# The interface is the product's: the simulator drives onoff's controllers, never the reverse.
from onoff.sim import Controller, ControlOutput, ValveSetting  # noqa: F401  (re-exported for the simulator)


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
#: The name that stands for whatever strategy the product runs when none is configured.
DEFAULT = "default"


def default_strategy() -> str:
    """The strategy the control loop runs by default (``onoff.settings``' ``strategy``)."""
    from onoff.settings import OnoffSettings

    return OnoffSettings.model_fields["strategy"].default


def controller_names() -> list[str]:
    """Every controller name the benchmark accepts."""
    from onoff.strategies import names as onoff_names

    names = list(BUILTIN) + [DEFAULT]
    return names + [n for n in onoff_names() if n not in names]


def make_controller(name: str) -> Controller:
    """The controller called ``name``; ``KeyError`` naming the known ones if there is none."""
    if name in BUILTIN:
        return BUILTIN[name]()
    if name == DEFAULT:
        name = default_strategy()
    from onoff.sim import make_controller as make_onoff

    try:
        return make_onoff(name)
    except KeyError:
        raise KeyError(f"unknown controller {name!r}; known: {', '.join(controller_names())}") from None
