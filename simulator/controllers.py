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


def comfort_c(room) -> float:
    """A room's comfort temperature: the highest of its schedule (its default without one)."""
    return max((p.value for p in room.schedule), default=room.default_temp_c)


def _valve_step(value: float) -> float:
    return min(30.0, max(5.0, round(value * 2.0) / 2.0))


class SingleThermostat:
    """The baseline: the house before this product.

    The boiler's own room thermostat in its room (the living room) runs its
    clock program; every other radiator has a thermostatic radiator valve set
    to that room's comfort temperature (the eQ-3 in manual mode is one: it
    throttles on its own air temperature), the thermostat's room has none (its
    valves stay open) and a radiator without a valve (the hall) is open.
    ``raise_k`` is what a household does when rooms are cold: the thermostat's
    comfort periods and every TRV turned up by that much. Once every valve
    holds its setting the house runs by itself (``idle``).
    """

    name = "single-thermostat"

    def __init__(self, house=None, raise_k: float = 0.0) -> None:
        if house is None:
            from simulator.house import load_house

            house = load_house()
        self.raise_k = float(raise_k)
        #: The boiler's clock program's comfort periods are raised by this much (the runner applies it).
        self.clock_program_raise_k = self.raise_k
        thermostat_room = house.boiler.clock_program_room
        self.settings: dict[str, float] = {}
        for room in house.rooms:
            for valve in room.valves:
                self.settings[valve.mac.upper()] = (30.0 if room.key == thermostat_room
                                                    else _valve_step(comfort_c(room) + self.raise_k))
        self._done: set[str] = set()
        #: True once every valve holds its setting: from then on the house runs by itself
        #: and the benchmark need not build a status for this controller.
        self.idle = False

    def step(self, status: dict, weather: dict, now: datetime) -> ControlOutput:
        valves = {}
        for room in status["rooms"]:
            for valve in room["valves"]:
                mac = valve["mac"].upper()
                target = self.settings.get(mac, 30.0)
                state = valve.get("state")
                if mac not in self._done and not (state and state["mode"] == "manual"
                                                  and state["target_c"] == target):
                    valves[mac] = ValveSetting("manual", target)
                self._done.add(mac)
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


def make_controller(name: str, house=None) -> Controller:
    """The controller called ``name`` (for ``house``, the default house if None); ``KeyError``
    naming the known ones if there is none."""
    if name in BUILTIN:
        return BUILTIN[name](house)
    if name == DEFAULT:
        name = default_strategy()
    from onoff.sim import make_controller as make_onoff

    try:
        return make_onoff(name)
    except KeyError:
        raise KeyError(f"unknown controller {name!r}; known: {', '.join(controller_names())}") from None
