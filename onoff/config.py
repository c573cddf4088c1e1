"""The control rules' tunable numbers, with the defaults documented in docs/control.md.

One frozen object, built once from the service's settings (or with its
defaults by the benchmark), handed to every tick.
"""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ControlConfig:
    #: The home's time zone: the weekly valve exercise is at a local wall-clock time.
    tz: str = "Europe/Amsterdam"
    #: What "open" and "closed" mean to an eQ-3 valve in manual mode (it has no position command).
    open_target_c: float = 30.0
    closed_target_c: float = 5.0
    #: Every valve setting is sent as the eQ-3's away mode with an end time, after which the valve
    #: returns to its own week program (the room's schedule): a valve left alone after any command
    #: is back on its program within valve_lease_s + 30 min at most (the end is rounded up to the
    #: valve's half-hour steps): 10 to 40 minutes. Short, because a small room left fully open heats
    #: by about 2 K an hour. The setting is sent again when less than valve_refresh_s is left.
    valve_lease_s: float = 600.0
    valve_refresh_s: float = 600.0
    #: Reading valves back: valve_settle_s after a move (the motor takes about 40 s; the opening it
    #: reports in its answer to the command is from before the move), and any valve not heard from
    #: for valve_check_s, so a valve turned by hand, a lost command or a valve that stopped answering
    #: is noticed within that time (9 min: within 10 minutes with the tick that acts on it).
    valve_settle_s: float = 120.0
    valve_check_s: float = 540.0
    #: A room's valves stay open / closed at least this long before the hysteresis may flip them.
    min_open_s: float = 1200.0
    min_closed_s: float = 1200.0
    #: Open-window detection: a fall of at least window_drop_k within window_span_s closes the
    #: room's valves for window_close_s.
    window_drop_k: float = 1.0
    window_span_s: float = 300.0
    window_close_s: float = 1200.0
    #: A window or door contact reported open shuts the room's valves at once, for at most this
    #: long after its report: a contact whose battery died while open must not leave a room
    #: unheated for good.
    contact_max_open_s: float = 7200.0
    #: Weekly valve exercise: weekday (0 = Monday) and local time; valves not open for
    #: exercise_idle_s are opened fully for exercise_s.
    exercise_weekday: int = 2
    exercise_hour: int = 11
    exercise_minute: int = 0
    exercise_s: float = 300.0
    exercise_idle_s: float = 7 * 86400.0
    #: Boiler: heat is asked once a heating valve has been confirmed open this long ...
    boiler_open_delay_s: float = 150.0
    #: ... burns at least this long, and pauses at least this long.
    boiler_min_burn_s: float = 600.0
    boiler_min_pause_s: float = 300.0
    #: Sharing burns: with less than this radiator power asking (W), the boiler waits up to
    #: boiler_demand_wait_s for more rooms before it fires; 0 fires at once.
    boiler_min_demand_w: float = 0.0
    boiler_demand_wait_s: float = 900.0
    #: The boiler's heat request is a temporary override of its clock program (it ends at the
    #: program's next switch point) at a setpoint just above what its own sensor measures, so a
    #: boiler stranded by a dead controller only holds its room where it is: heat = in-house
    #: temperature + boiler_heat_margin_k, never above the program's setpoint +
    #: boiler_max_above_program_k; stop = in-house temperature - boiler_stop_margin_k, never above
    #: the program's setpoint. Resent when the wanted setpoint moved boiler_resend_k or more.
    boiler_heat_margin_k: float = 1.5
    boiler_stop_margin_k: float = 1.0
    boiler_max_above_program_k: float = 2.0
    boiler_resend_k: float = 0.5
    #: How long a stranded boiler may keep an override above the program's setpoint + the cap.
    boiler_override_bound_s: float = 3600.0
    #: A valve on its own thermostat (manual room, stale thermometer) that reports at least this
    #: opening asks the boiler for heat.
    own_thermostat_demand_pct: int = 25
    #: Smart heat: within smart_margin_k below target, wait when the next smart_horizon_h hours
    #: bring a mean solar irradiance of at least smart_solar_wm2 or an outdoor rise of smart_rise_k.
    smart_margin_k: float = 1.0
    smart_horizon_h: float = 3.0
    smart_solar_wm2: float = 150.0
    smart_rise_k: float = 3.0
    #: Pre-heat: heating rate assumed before one is learnt, its bounds, and the longest lead.
    preheat_default_rate_k_per_h: float = 1.0
    preheat_min_rate_k_per_h: float = 0.2
    preheat_max_rate_k_per_h: float = 6.0
    preheat_max_lead_s: float = 2 * 3600.0
    #: Time added to the predicted heat-up: radiator water and metal warm up first.
    preheat_dead_time_s: float = 900.0
    #: Coasting: within this long before a switch point that lowers the target, steer to the lower
    #: target already (the room's stored heat carries it to the switch); 0 turns it off.
    preheat_coast_s: float = 1800.0
    #: Learning: a sample starts once the valves were confirmed open this long and lasts this long.
    preheat_settle_s: float = 900.0
    preheat_sample_s: float = 1800.0
    preheat_learn_weight: float = 0.3

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)
