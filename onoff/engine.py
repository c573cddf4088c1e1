"""The control decision: a plain function of (status, weather, now, memory) → commands and reasons.

``tick()`` does no I/O and reads no clock: the live loop (onoff.service), the
benchmark (onoff.sim) and the tests all call it the same way. Rules that keep
the house and its devices safe live here, the same for every strategy
(manual rooms, stale thermometers, frost, boost, open windows, minimum
open/closed times, the weekly valve exercise, the boiler); the strategy only
answers "should this room heat now?" (see onoff.strategies).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from onoff.config import ControlConfig

#: Room outcomes. "target" hands the valves the room's target so their own thermostat rules;
#: "leave" sends nothing.
OPEN, CLOSED, TARGET, LEAVE = "open", "closed", "target", "leave"


@dataclass(frozen=True)
class ValveCommand:
    """A valve setting to send.

    ``mode`` "away": hold ``target_c`` (0.5 °C steps) until ``until`` (UTC, on a half hour of the
    home's clock), after which the valve goes back to its own week program by itself; "auto": the
    valve's own week program (``target_c`` and ``until`` are None).
    """

    valve_id: int | None
    mac: str
    bridge_url: str | None
    room_id: int | None
    room_name: str
    mode: str
    target_c: float | None
    reason: str
    until: datetime | None = None


@dataclass
class RoomMemory:
    #: The hysteresis state: True while the room is heating.
    heating: bool | None = None
    #: The room's last outcome and since when (minimum open/closed times count from there).
    outcome: str | None = None
    outcome_since: datetime | None = None
    #: The room's target when the outcome last changed: a new target lifts the minimum times.
    outcome_target_c: float | None = None
    #: Recent (time, temperature) pairs for open-window detection.
    recent_temps: deque = field(default_factory=lambda: deque(maxlen=64))
    window_until: datetime | None = None
    #: What was last recorded as the room's decision (records are written on change).
    last_recorded: tuple | None = None


@dataclass
class ValveMemory:
    #: Since when the valve has been confirmed open (for the boiler's delay).
    open_since: datetime | None = None
    #: When the valve was last seen open (for the weekly exercise).
    last_open_at: datetime | None = None
    exercise_until: datetime | None = None
    #: When the valve's motor has finished the last move the loop asked for: read it back then.
    settle_at: datetime | None = None
    #: When the loop last asked to read the valve (reads are recorded through the API, so the
    #: status shows them a tick later; this keeps a read from being asked twice meanwhile).
    read_at: datetime | None = None


@dataclass
class BoilerMemory:
    heat: bool | None = None
    #: What the live loop last asked the boiler (heat or not), to notice a change of request.
    asked: bool | None = None
    since: datetime | None = None
    #: Since when rooms have been asking for heat while the boiler was off.
    demand_since: datetime | None = None
    last_recorded: tuple | None = None


@dataclass
class EngineState:
    """Everything the loop remembers between ticks; starts empty and learns from the status."""

    rooms: dict[int, RoomMemory] = field(default_factory=dict)
    valves: dict[str, ValveMemory] = field(default_factory=dict)
    boiler: BoilerMemory = field(default_factory=BoilerMemory)
    started_at: datetime | None = None


@dataclass(frozen=True)
class ValveRead:
    """A valve to ask for its status (the bridge's ``GET /valves/{mac}?refresh=1``), and why."""

    valve_id: int | None
    mac: str
    bridge_url: str | None
    room_id: int | None
    room_name: str
    reason: str


@dataclass
class TickResult:
    valve_commands: list[ValveCommand]
    #: True: ask the boiler for heat; False: stop.
    boiler_heat: bool
    boiler_reason: str
    #: Every room's decision and the boiler's, this tick (POST /api/decisions item shape).
    decisions: list[dict]
    #: The subset whose outcome or reason kind changed since last recorded: what the loop records.
    decisions_to_record: list[dict]
    #: Valves to read back this tick: after a move, once the motor finished, and any valve not heard
    #: for valve_check_s (a valve turned by hand, or a lost command, shows up there).
    valve_reads: list[ValveRead] = field(default_factory=list)


@dataclass(frozen=True)
class RoomView:
    """What a strategy sees of one room: its status entry plus derived values."""

    room: dict
    temp_c: float
    target_c: float
    hysteresis_k: float
    heating: bool
    #: Whether the boiler is burning (as last decided): a room may join a burn that runs anyway.
    boiler_heat: bool = False


def round_half(temp_c: float) -> float:
    """The nearest 0.5 °C step the valve accepts, within 4.5 … 30.0."""
    return min(30.0, max(4.5, math.floor(temp_c * 2 + 0.5) / 2))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


#: Where a room's target comes from when its valves' own week program already holds it.
PROGRAM_SOURCES = ("schedule", "default")


def lease_end(now: datetime, config: ControlConfig) -> datetime:
    """When a valve setting sent now ends on the valve: valve_lease_s ahead, rounded up to the
    next full or half hour of the home's wall clock (the eQ-3 counts its away end in half hours):
    10 to 40 minutes ahead with the defaults."""
    offset = now.astimezone(config.zone).utcoffset() or timedelta(0)
    local = (now + offset).replace(tzinfo=None) + timedelta(seconds=config.valve_lease_s)
    floor = local.replace(minute=(local.minute // 30) * 30, second=0, microsecond=0)
    end_local = floor if floor == local else floor + timedelta(minutes=30)
    return (end_local - offset).replace(tzinfo=now.tzinfo)


def valve_setting_for(outcome: str, room: dict, config: ControlConfig,
                      now: datetime) -> tuple[str, float | None, datetime | None] | None:
    """The (mode, target_c, until) a valve gets for a room outcome; None for "leave".

    Every setting other than the valve's own program ends by itself (see lease_end), so it is
    safe as the last command the valve ever gets.
    """
    if outcome == OPEN:
        return ("away", config.open_target_c, lease_end(now, config))
    if outcome == CLOSED:
        return ("away", config.closed_target_c, lease_end(now, config))
    if outcome == TARGET:
        if room.get("target_source") in PROGRAM_SOURCES:
            # The valve's own program is the room's schedule: nothing to hold, nothing to expire.
            return ("auto", None, None)
        target = round_half(float(room.get("target_c") or room.get("default_temp_c") or 18.0))
        return ("away", target, lease_end(now, config))
    return None


def state_until(state: dict) -> datetime | None:
    return _parse_time(state.get("until"))


def valve_matches(valve: dict, setting: tuple[str, float | None, datetime | None], now: datetime,
                  config: ControlConfig) -> bool:
    """Whether the valve's last confirmed state already is the setting, with time enough left."""
    mode, target_c, _until = setting
    state = valve.get("state") or {}
    if mode == "auto":
        return state.get("mode") == "auto"
    confirmed_target = state.get("target_c")
    until = state_until(state)
    return (
        state.get("mode") == mode
        and confirmed_target is not None
        and abs(float(confirmed_target) - float(target_c)) < 0.25
        and until is not None
        and (until - now).total_seconds() >= config.valve_refresh_s
    )


def confirmed_open(valve: dict, config: ControlConfig, now: datetime) -> bool:
    """Whether the valve's last confirmed state is fully open and has not yet ended by itself."""
    state = valve.get("state") or {}
    target = state.get("target_c")
    until = state_until(state)
    return (state.get("mode") in ("manual", "away") and target is not None
            and float(target) >= config.open_target_c - 0.25 and (until is None or until > now))


def boiler_setpoint(heat: bool, in_house_c: float | None, program_c: float | None,
                    config: ControlConfig, program_next_s: float | None = None) -> float:
    """The override setpoint that asks the boiler's own thermostat for heat (or for none).

    The thermostat fires while its sensor is below the setpoint, so heat is a setpoint just above
    what it measures and stop one just below; both are bounded by the boiler's own clock program,
    which the override returns to at its next switch point. Left alone, the boiler then holds its
    room where it was (at most the program's setpoint + boiler_max_above_program_k), never at
    full heat. When the program's next switch point (``program_next_s`` seconds away) comes within
    boiler_override_bound_s the override ends there by itself, so heat needs no cap.
    Nefit setpoints are 0.5 °C steps within 5–30 °C.
    """
    if heat:
        wanted = (in_house_c + config.boiler_heat_margin_k) if in_house_c is not None else None
        ends_soon = program_next_s is not None and program_next_s <= config.boiler_override_bound_s
        cap = program_c + config.boiler_max_above_program_k if program_c is not None and not ends_soon else None
        candidates = [v for v in (wanted, cap) if v is not None] or [config.open_target_c]
        value = min(candidates)
        value = math.ceil(value * 2 - 1e-9) / 2
    else:
        wanted = (in_house_c - config.boiler_stop_margin_k) if in_house_c is not None else None
        candidates = [v for v in (wanted, program_c) if v is not None] or [5.0]
        value = math.floor(min(candidates) * 2 + 1e-9) / 2
    return min(30.0, max(5.0, value))


def _fmt(temp_c: float) -> str:
    return f"{temp_c:.1f}"


def _is_boost(room: dict) -> bool:
    override = room.get("override") or {}
    return room.get("target_source") == "boost" or override.get("kind") == "boost"


def _exercise_window(now: datetime, config: ControlConfig) -> tuple[datetime, datetime]:
    local = now.astimezone(config.zone)
    start_local = local.replace(hour=config.exercise_hour, minute=config.exercise_minute, second=0, microsecond=0)
    start = start_local.astimezone(now.tzinfo)
    return start, start + timedelta(seconds=config.exercise_s)


def boiler_request(heat: bool, seen: dict, program: tuple[float | None, float | None],
                   config: ControlConfig) -> float | None:
    """The override setpoint to write to the boiler for ``heat``, or None when what it reports
    (``seen``: user_mode, override, override_c, in_house_c) already does the job. ``program``:
    the boiler's own program's setpoint now and the seconds to its next switch point."""
    wanted = boiler_setpoint(heat, seen.get("in_house_c"), program[0], config, program[1])
    current = seen.get("override_c")
    if seen.get("user_mode") == "clock" and seen.get("override") and current is not None \
            and abs(float(current) - wanted) < config.boiler_resend_k:
        return None
    return wanted


def _observe_valves(status: dict, now: datetime, state: EngineState, config: ControlConfig) -> None:
    for room in status.get("rooms", []):
        for valve in room.get("valves", []):
            memory = state.valves.setdefault(valve["mac"].upper(), ValveMemory(last_open_at=state.started_at))
            valve_state = valve.get("state") or {}
            is_open = confirmed_open(valve, config, now)
            if is_open:
                if memory.open_since is None:
                    # A confirmed state carries its own time: the valve may have opened before
                    # this loop started watching.
                    confirmed_at = _parse_time(valve_state.get("time"))
                    memory.open_since = min(confirmed_at, now) if confirmed_at else now
            else:
                memory.open_since = None
            if is_open or (valve_state.get("valve_pct") or 0) > 0:
                memory.last_open_at = now


def _is_move(valve: dict, setting: tuple[str, float | None, datetime | None]) -> bool:
    """Whether a setting makes the valve's motor move (another mode or target), not just a renewal."""
    state = valve.get("state") or {}
    if state.get("mode") != setting[0]:
        return True
    target = state.get("target_c")
    return setting[1] is not None and (target is None or abs(float(target) - setting[1]) >= 0.25)


def _read_due(valve: dict, memory: ValveMemory, now: datetime, config: ControlConfig) -> str | None:
    """Why the valve should be read back now, or None."""
    if memory.settle_at is not None and now >= memory.settle_at:
        return "read back once its motor finished the move"
    heard = _parse_time((valve.get("state") or {}).get("time"))
    asked = memory.read_at
    if (heard is None or (now - heard).total_seconds() >= config.valve_check_s) \
            and (asked is None or (now - asked).total_seconds() >= config.valve_check_s):
        return "periodic check: not heard for a while"
    return None


def _window_opened(memory: RoomMemory, temp_c: float, now: datetime, config: ControlConfig) -> bool:
    """Whether the temperature fell by window_drop_k or more within window_span_s."""
    horizon = now - timedelta(seconds=config.window_span_s)
    while memory.recent_temps and memory.recent_temps[0][0] < now - timedelta(seconds=2 * config.window_span_s):
        memory.recent_temps.popleft()
    earlier = [t for when, t in memory.recent_temps if when >= horizon and when < now]
    memory.recent_temps.append((now, temp_c))
    return bool(earlier) and max(earlier) - temp_c >= config.window_drop_k - 1e-9


def open_contact(room: dict, now: datetime, config: ControlConfig) -> dict | None:
    """The room's window or door contact that reported open within contact_max_open_s, if any."""
    for contact in room.get("contacts") or []:
        reported = _parse_time(contact.get("time"))
        if contact.get("open") and reported is not None \
                and (now - reported).total_seconds() < config.contact_max_open_s:
            return contact
    return None


def tick(status: dict, weather: dict | None, now: datetime, state: EngineState, strategy, config: ControlConfig) -> TickResult:
    """Decide every room and the boiler for this instant.

    Guarantees: no I/O; a valve command only where the valve's last confirmed
    state differs from what its room needs; rooms with control "manual" get no
    commands; every room and the boiler get a decision with a reason; the
    boiler is asked for heat only when a valve that needs heat has been
    confirmed open for boiler_open_delay_s (or a valve on its own thermostat
    reports it is open), and respects the minimum burn and pause times.
    """
    if state.started_at is None:
        state.started_at = now
    weather = weather or {}
    if state.boiler.heat is None:
        # A boiler this loop asked for heat before a restart may still be burning.
        boiler = status.get("boiler") or {}
        state.boiler.heat = bool(boiler.get("heat_demand"))
    _observe_valves(status, now, state, config)
    strategy.observe(status, now, state, config)

    commands: list[ValveCommand] = []
    reads: list[ValveRead] = []
    decisions: list[dict] = []
    to_record: list[dict] = []
    demand_reasons: list[str] = []
    demand_w = 0.0
    waiting_for_valves = False

    exercise_start, exercise_end = _exercise_window(now, config)
    exercise_due = now.astimezone(config.zone).weekday() == config.exercise_weekday and exercise_start <= now < exercise_end

    for room in status.get("rooms", []):
        room_id = room.get("id")
        memory = state.rooms.setdefault(room_id, RoomMemory())
        valves = room.get("valves", [])
        temp = room.get("temperature_c")
        target = room.get("target_c")
        inputs = {"temperature_c": temp, "target_c": target, "target_source": room.get("target_source"),
                  "in_sync": room.get("in_sync")}
        if memory.heating is None:
            memory.heating = bool(valves) and all(confirmed_open(v, config, now) for v in valves)

        heat_counts = False  # whether an open outcome is a need for heat (the boiler's business)
        if room.get("control") == "manual":
            outcome, kind, reason = LEAVE, "manual", "room is on manual control: its valves are left alone"
        elif (contact := open_contact(room, now, config)) is not None and not (
                temp is not None and room.get("in_sync") and temp < float(room.get("frost_temp_c") or 7.0)):
            outcome, kind = CLOSED, "contact"
            reason = (f"the {contact.get('name') or 'window'} contact reports open: valves closed "
                      f"(for at most {config.contact_max_open_s / 60:.0f} min after its report)")
            memory.heating = False
        elif temp is None or not room.get("in_sync"):
            outcome, kind = TARGET, "stale"
            if room.get("target_source") in PROGRAM_SOURCES:
                reason = (f"no recent reading: valves follow their own week program, the room's schedule "
                          f"(now {_fmt(round_half(float(target or 18.0)))} °C), with their own thermostat")
            else:
                reason = (f"no recent reading: valves hold the room's target "
                          f"{_fmt(round_half(float(target or 18.0)))} °C on their own thermostat")
        elif temp < float(room.get("frost_temp_c") or 7.0):
            outcome, kind, heat_counts = OPEN, "frost", True
            reason = f"{_fmt(temp)} °C is below the frost temperature {_fmt(float(room.get('frost_temp_c') or 7.0))} °C"
        elif _is_boost(room):
            outcome, kind, heat_counts = OPEN, "boost", True
            reason = "boost: valves fully open"
        else:
            window_now = _window_opened(memory, float(temp), now, config)
            # The close period counts from the first sight of the fall, not from each later tick
            # that still sees it within the span.
            if window_now and (memory.window_until is None or now >= memory.window_until):
                memory.window_until = now + timedelta(seconds=config.window_close_s)
            if memory.window_until is not None and now < memory.window_until:
                outcome, kind = CLOSED, "window"
                reason = (f"temperature fell {config.window_drop_k:.1f} K or more within "
                          f"{config.window_span_s / 60:.0f} min: window open? valves closed until "
                          f"{memory.window_until.astimezone(config.zone):%H:%M}")
                memory.heating = False
            else:
                memory.window_until = None
                view = RoomView(room=room, temp_c=float(temp), target_c=float(target),
                                hysteresis_k=float(room.get("hysteresis_k") if room.get("hysteresis_k") is not None else 0.3),
                                heating=memory.heating, boiler_heat=bool(state.boiler.heat))
                want, reason, extra = strategy.decide(view, weather, now, config)
                inputs.update(extra)
                kind = "strategy"
                current = OPEN if memory.heating else CLOSED
                wanted = OPEN if want else CLOSED
                same_target = memory.outcome_target_c is not None and abs(memory.outcome_target_c - float(target)) < 0.05
                if wanted != current and memory.outcome == current and memory.outcome_since is not None and same_target:
                    held_s = (now - memory.outcome_since).total_seconds()
                    minimum_s = config.min_open_s if current == OPEN else config.min_closed_s
                    if held_s < minimum_s:
                        reason = (f"{reason}; but kept {current} for its minimum "
                                  f"{minimum_s / 60:.0f} min ({held_s / 60:.0f} min so far)")
                        wanted = current
                        kind = "held"
                memory.heating = wanted == OPEN
                outcome = wanted
                heat_counts = outcome == OPEN

        if outcome != memory.outcome:
            memory.outcome = outcome
            memory.outcome_since = now
            memory.outcome_target_c = None if target is None else float(target)
        if kind == "contact":
            # Valves shut by a contact were not the hysteresis' doing: a window closed again lifts
            # the minimum closed time, so the room heats again at once.
            memory.outcome_target_c = None

        room_commands = []
        for valve in valves:
            mac = valve["mac"].upper()
            valve_memory = state.valves[mac]
            setting = valve_setting_for(outcome, room, config, now)
            valve_reason = reason
            if outcome == CLOSED and exercise_due and room.get("control") != "manual":
                # An hour's slack: a valve last opened by the previous week's exercise is idle again.
                idle = (valve_memory.last_open_at is None
                        or (now - valve_memory.last_open_at).total_seconds() >= config.exercise_idle_s - 3600)
                if idle or valve_memory.exercise_until is not None:
                    if valve_memory.exercise_until is None:
                        valve_memory.exercise_until = exercise_end
                    setting = ("away", config.open_target_c, lease_end(now, config))
                    valve_reason = "weekly exercise: opened fully for a few minutes so the pin does not stick"
            if valve_memory.exercise_until is not None and now >= valve_memory.exercise_until:
                valve_memory.exercise_until = None
            bridge_url = (valve.get("bridge") or {}).get("base_url")
            if setting is not None and not valve_matches(valve, setting, now, config):
                room_commands.append(ValveCommand(valve.get("id"), mac, bridge_url, room_id, room.get("name", ""),
                                                  setting[0], setting[1], valve_reason, setting[2]))
                if _is_move(valve, setting):
                    valve_memory.settle_at = now + timedelta(seconds=config.valve_settle_s)
                continue
            read_reason = _read_due(valve, valve_memory, now, config)
            if read_reason and bridge_url:
                valve_memory.read_at = now
                valve_memory.settle_at = None
                reads.append(ValveRead(valve.get("id"), mac, bridge_url, room_id, room.get("name", ""), read_reason))
        commands.extend(room_commands)

        if heat_counts:
            ready = [v for v in valves if state.valves[v["mac"].upper()].open_since is not None
                     and (now - state.valves[v["mac"].upper()].open_since).total_seconds() >= config.boiler_open_delay_s]
            if ready:
                demand_reasons.append(room.get("name", str(room_id)))
                demand_w += sum(float(v.get("radiator_power_w") or 1000) for v in ready)
            elif valves:
                waiting_for_valves = True
        elif outcome in (TARGET, LEAVE):
            opened = [v for v in valves if ((v.get("state") or {}).get("valve_pct") or 0) >= config.own_thermostat_demand_pct]
            if opened:
                demand_reasons.append(f"{room.get('name', room_id)} (valve's own thermostat)")
                demand_w += sum(float(v.get("radiator_power_w") or 1000) for v in opened)

        decision = {"time": now.isoformat().replace("+00:00", "Z"), "room_id": room_id, "strategy": strategy.name,
                    "inputs": inputs, "outcome": outcome, "reason": reason}
        decisions.append(decision)
        record_key = (outcome, kind)
        if record_key != memory.last_recorded or room_commands:
            memory.last_recorded = record_key
            to_record.append(decision)

    boiler_heat, boiler_reason = _decide_boiler(demand_reasons, demand_w, waiting_for_valves, now, state, config)
    boiler_decision = {"time": now.isoformat().replace("+00:00", "Z"), "room_id": None, "strategy": strategy.name,
                       "inputs": {"rooms_asking": demand_reasons}, "outcome": "heat" if boiler_heat else "stop",
                       "reason": boiler_reason}
    decisions.append(boiler_decision)
    if state.boiler.last_recorded != (boiler_heat,):
        state.boiler.last_recorded = (boiler_heat,)
        to_record.append(boiler_decision)
    return TickResult(commands, boiler_heat, boiler_reason, decisions, to_record, reads)


def _decide_boiler(demand: list[str], demand_w: float, waiting: bool, now: datetime, state: EngineState,
                   config: ControlConfig) -> tuple[bool, str]:
    memory = state.boiler
    wanted = bool(demand)
    if not wanted:
        memory.demand_since = None
    elif memory.demand_since is None:
        memory.demand_since = now
    if wanted and not memory.heat and demand_w < config.boiler_min_demand_w \
            and (now - memory.demand_since).total_seconds() < config.boiler_demand_wait_s:
        return False, (f"heat asked by {', '.join(demand)} ({demand_w:.0f} W of radiators): waiting up to "
                       f"{config.boiler_demand_wait_s / 60:.0f} min for more rooms to share the burn")
    if wanted:
        reason = "heat asked by " + ", ".join(demand)
    elif waiting:
        reason = "a room needs heat; waiting for its valves to be confirmed open"
    else:
        reason = "no room needs heat"
    if wanted != memory.heat and memory.since is not None:
        held_s = (now - memory.since).total_seconds()
        minimum_s = config.boiler_min_burn_s if memory.heat else config.boiler_min_pause_s
        if held_s < minimum_s:
            word = "burn" if memory.heat else "pause"
            return memory.heat, f"{reason}; but the boiler keeps its minimum {word} of {minimum_s / 60:.0f} min"
    if wanted != memory.heat:
        memory.heat = wanted
        memory.since = now
    return wanted, reason
