"""The benchmark's entry into onoff: every strategy as a simulator Controller.

``make_controller(name)`` wraps the same ``engine.tick`` the live loop runs;
the simulator applies the valve settings as real eQ-3 command frames and the
boiler request as the Nefit writes, then shows the confirmed result in the
next status it builds.
"""
from __future__ import annotations

from datetime import datetime

from onoff import engine
from onoff.config import ControlConfig
from onoff.strategies import make_strategy


class OnoffController:
    """A simulator Controller (``name`` and ``step``) over onoff's decision code."""

    def __init__(self, name: str, config: ControlConfig | None = None):
        from simulator.controllers import ControlOutput, ValveSetting

        self._output_type, self._setting_type = ControlOutput, ValveSetting
        self.name = name
        self.strategy = make_strategy(name)
        self.config = config or ControlConfig()
        self.state = engine.EngineState()

    def step(self, status: dict, weather: dict, now: datetime):
        result = engine.tick(status, weather, now, self.state, self.strategy, self.config)
        valves = {command.mac: self._setting_type(mode=command.mode, target_c=command.target_c, until=command.until)
                  for command in result.valve_commands}
        return self._output_type(valves=valves, boiler_heat=result.boiler_heat,
                                 decisions=result.decisions_to_record, config=self.config,
                                 reads=[read.mac for read in result.valve_reads])


def make_controller(name: str, config: ControlConfig | None = None) -> OnoffController:
    """The strategy ``name`` of onoff.strategies as a benchmark controller (KeyError if unknown)."""
    return OnoffController(name, config)
