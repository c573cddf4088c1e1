"""Zoning that pre-heats: a room is warm AT its next switch point, not from then on.

Each room's heating rate (K/h with its valves open and the boiler asked for
heat) is learnt online from the temperature rise the loop observes. When the
next switch point raises the target, the room steers to that higher target as
soon as the time left is no more than the predicted heat-up time plus the
radiator's dead time. Before a switch point that lowers the target, it lets the
room coast: for the last ``preheat_coast_s`` it already steers to the lower
target. And while the boiler burns anyway, a room below its target joins the
burn instead of waiting to fall below target − hysteresis: fewer starts, and
less of the burn goes to the always-open radiators.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onoff.config import ControlConfig
from onoff.strategies import register
from onoff.strategies.zoning import Zoning, _parse


@dataclass
class _Sample:
    started_at: datetime
    start_temp_c: float


@register("zoning-preheat")
class ZoningPreheat(Zoning):
    name = "zoning-preheat"
    joins_burns = True

    def __init__(self) -> None:
        #: Learnt heating rate per room id, K/h.
        self.rate_k_per_h: dict[int, float] = {}
        self._samples: dict[int, _Sample] = {}

    def rate_for(self, room_id: int, config: ControlConfig) -> float:
        return self.rate_k_per_h.get(room_id, config.preheat_default_rate_k_per_h)

    def observe(self, status: dict, now: datetime, state, config: ControlConfig) -> None:
        """Learn from rooms heating steadily: valves confirmed open past the settle time, boiler asked."""
        for room in status.get("rooms", []):
            room_id = room.get("id")
            valves = room.get("valves") or []
            temp = room.get("temperature_c")
            memories = [state.valves.get(v["mac"].upper()) for v in valves]
            steady = (
                temp is not None and room.get("in_sync") and valves and bool(state.boiler.heat)
                and all(m is not None and m.open_since is not None
                        and (now - m.open_since).total_seconds() >= config.preheat_settle_s for m in memories)
            )
            if not steady:
                self._samples.pop(room_id, None)
                continue
            sample = self._samples.get(room_id)
            if sample is None:
                self._samples[room_id] = _Sample(now, float(temp))
                continue
            elapsed_s = (now - sample.started_at).total_seconds()
            if elapsed_s < config.preheat_sample_s:
                continue
            observed = (float(temp) - sample.start_temp_c) / (elapsed_s / 3600)
            observed = min(config.preheat_max_rate_k_per_h, max(config.preheat_min_rate_k_per_h, observed))
            old = self.rate_k_per_h.get(room_id)
            weight = config.preheat_learn_weight
            self.rate_k_per_h[room_id] = observed if old is None else (1 - weight) * old + weight * observed
            self._samples[room_id] = _Sample(now, float(temp))

    def goal(self, view, now: datetime, config: ControlConfig) -> tuple[float, str | None]:
        upcoming = view.room.get("next_switch_point") or {}
        next_c, at = upcoming.get("temperature_c"), upcoming.get("at")
        if next_c is None or at is None or view.room.get("target_source") not in (None, "schedule", "default"):
            return view.target_c, None
        next_c = float(next_c)
        left_s = (_parse(at) - now).total_seconds()
        if next_c < view.target_c:
            if 0 < left_s <= config.preheat_coast_s:
                return next_c, f"coasting to {next_c:.1f} °C at {_parse(at):%H:%M} UTC"
            return view.target_c, None
        needed_k = next_c - view.temp_c
        if next_c <= view.target_c or needed_k <= 0:
            return view.target_c, None
        rate = self.rate_for(view.room.get("id"), config)
        lead_s = min(config.preheat_max_lead_s, needed_k / rate * 3600 + config.preheat_dead_time_s)
        if 0 < left_s <= lead_s:
            return next_c, f"pre-heating for {next_c:.1f} °C at {_parse(at):%H:%M} UTC, {rate:.1f} K/h learnt"
        return view.target_c, None
