"""The controller interface, and every strategy behind it.

A controller is called once per tick with the status the controller API
serves (``GET /api/status``), the weather with its 48-hour forecast and the
instant; it answers with valve settings and a boiler request. The interface is
the product's: the simulated house (``simulator``) drives it, and nothing here
knows of the simulator. ``make_controller(name)`` wraps the same
``engine.tick`` the live loop runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from onoff import engine
from onoff.config import ControlConfig
from onoff.strategies import make_strategy


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


class OnoffController:
    """A Controller (``name`` and ``step``) over onoff's decision code."""

    def __init__(self, name: str, config: ControlConfig | None = None):
        self.name = name
        self.strategy = make_strategy(name)
        self.config = config or ControlConfig()
        self.state = engine.EngineState()

    def step(self, status: dict, weather: dict, now: datetime) -> ControlOutput:
        result = engine.tick(status, weather, now, self.state, self.strategy, self.config)
        valves = {command.mac: ValveSetting(mode=command.mode, target_c=command.target_c, until=command.until)
                  for command in result.valve_commands}
        return ControlOutput(valves=valves, boiler_heat=result.boiler_heat,
                             decisions=result.decisions_to_record, config=self.config,
                             reads=[read.mac for read in result.valve_reads])


def make_controller(name: str, config: ControlConfig | None = None) -> OnoffController:
    """The strategy ``name`` of onoff.strategies as a benchmark controller (KeyError if unknown)."""
    return OnoffController(name, config)
