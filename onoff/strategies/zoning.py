"""Zoning: per-room hysteresis around the room's target, with smart heat from the forecast."""
from __future__ import annotations

from datetime import datetime, timedelta

from onoff.config import ControlConfig
from onoff.strategies import register


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def forecast_help(weather: dict, now: datetime, config: ControlConfig) -> str | None:
    """Why the coming hours will warm the room without the boiler, or None.

    Sun: the mean shortwave irradiance over the next smart_horizon_h hours is
    at least smart_solar_wm2. Outdoor rise: the warmest hour ahead is at
    least smart_rise_k above now.
    """
    horizon = now + timedelta(hours=config.smart_horizon_h)
    ahead = []
    for hour in weather.get("forecast") or []:
        try:
            when = _parse(hour["time"])
        except (KeyError, ValueError, TypeError):
            continue
        if now < when <= horizon:
            ahead.append(hour)
    if not ahead:
        return None
    solar = [float(h.get("shortwave_radiation_wm2") or 0.0) for h in ahead]
    mean_solar = sum(solar) / len(solar)
    if mean_solar >= config.smart_solar_wm2:
        return f"the sun will give {mean_solar:.0f} W/m² on average in the next {config.smart_horizon_h:g} h"
    outdoor = weather.get("outdoor_temp_c")
    temps = [h["temperature_c"] for h in ahead if h.get("temperature_c") is not None]
    if outdoor is not None and temps and max(temps) - float(outdoor) >= config.smart_rise_k:
        return (f"outside will warm from {float(outdoor):.1f} to {max(temps):.1f} °C "
                f"in the next {config.smart_horizon_h:g} h")
    return None


@register("zoning")
class Zoning:
    """Heat below target − hysteresis, stop at or above target + hysteresis, keep the state between."""

    name = "zoning"
    #: Whether a room below its goal (but not yet below goal − hysteresis) starts heating while the
    #: boiler burns anyway, so one burn serves several rooms.
    joins_burns = False

    def observe(self, status: dict, now: datetime, state, config: ControlConfig) -> None:
        """Zoning learns nothing."""

    def goal(self, view, now: datetime, config: ControlConfig) -> tuple[float, str | None]:
        """The temperature to steer to now, and why it differs from the target (None: it does not)."""
        return view.target_c, None

    def decide(self, view, weather: dict, now: datetime, config: ControlConfig) -> tuple[bool, str, dict]:
        goal_c, why = self.goal(view, now, config)
        label = f"{goal_c:.1f} ({why})" if why else f"{goal_c:.1f}"
        low, high = goal_c - view.hysteresis_k, goal_c + view.hysteresis_k
        inputs = {"goal_c": round(goal_c, 2)} if why else {}
        temp = view.temp_c
        if temp >= high - 1e-9:
            return False, f"{temp:.1f} °C is at or above {label} + {view.hysteresis_k:g}", inputs
        if temp < low - 1e-9:
            if view.room.get("smart_heat") and temp >= goal_c - config.smart_margin_k - 1e-9:
                helper = forecast_help(weather, now, config)
                if helper:
                    inputs["smart_heat"] = helper
                    return False, (f"{temp:.1f} °C is below {label} − {view.hysteresis_k:g}, but within "
                                   f"{config.smart_margin_k:g} K and {helper}: waiting"), inputs
            return True, f"{temp:.1f} °C is below {label} − {view.hysteresis_k:g}", inputs
        if view.heating:
            return True, f"{temp:.1f} °C: heating on until {label} + {view.hysteresis_k:g}", inputs
        if self.joins_burns and view.boiler_heat and temp < goal_c - 1e-9:
            return True, f"{temp:.1f} °C is below {label} and the boiler is burning: joining the burn", inputs
        return False, f"{temp:.1f} °C: not heating until below {label} − {view.hysteresis_k:g}", inputs
