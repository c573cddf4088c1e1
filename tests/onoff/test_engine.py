"""The pure control decision: tables of (room, memory) → outcome, valve commands and boiler."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from onoff import engine
from onoff.config import ControlConfig
from onoff.strategies import make_strategy

T0 = datetime(2026, 1, 12, 5, 0, tzinfo=timezone.utc)  # a Monday, 06:00 in Amsterdam
CONFIG = ControlConfig()
# Confirmed away settings that end long after the ticks of these tables (a lease's own end and
# refresh have tests of their own below).
UNTIL = "2026-12-31T23:00:00Z"
OPEN_STATE = {"time": "2026-01-12T04:00:00Z", "state": "open", "target_c": 30.0, "valve_pct": 100, "mode": "away",
              "until": UNTIL}
CLOSED_STATE = {"time": "2026-01-12T04:00:00Z", "state": "closed", "target_c": 5.0, "valve_pct": 0, "mode": "away",
                "until": UNTIL}


def valve(mac="00:1A:22:0C:3B:5D", state=None, valve_id=1):
    return {"id": valve_id, "mac": mac, "name": "Window", "radiator_power_w": 1500,
            "bridge": {"id": 1, "name": "Pi", "kind": "pi", "base_url": "http://127.0.0.1:8091"},
            "state": state}


def room(temp=19.0, target=20.0, valves=None, room_id=1, **extra):
    data = {"id": room_id, "name": f"Room {room_id}", "temperature_c": temp, "in_sync": True, "target_c": target,
            "target_source": "schedule", "override": None, "next_switch_point": None, "default_temp_c": 18.0,
            "frost_temp_c": 7.0, "hysteresis_k": 0.3, "offset_k": 0.0, "smart_heat": False, "control": "auto",
            "valves": [valve()] if valves is None else valves}
    data.update(extra)
    return data


def status(*rooms, boiler=None):
    return {"time": T0.isoformat(), "boiler": boiler, "rooms": list(rooms)}


def run(rooms_by_tick, weather=None, strategy="zoning", config=CONFIG, state=None, start=T0, step_s=60):
    """Tick through a list of statuses one minute apart; returns the results and the state."""
    state = state or engine.EngineState()
    chosen = make_strategy(strategy)
    results = []
    for index, snapshot in enumerate(rooms_by_tick):
        results.append(engine.tick(snapshot, weather, start + timedelta(seconds=index * step_s), state, chosen, config))
    return results, state


# (case, room fields, confirmed valve state, expected outcome, expected command (mode, target) or None)
ROOM_CASES = [
    ("cold room opens", dict(temp=19.6), CLOSED_STATE, "open", ("away", 30.0)),
    ("inside the band stays closed", dict(temp=19.8), CLOSED_STATE, "closed", None),
    ("inside the band stays open", dict(temp=20.2), OPEN_STATE, "open", None),
    ("at target + hysteresis closes", dict(temp=20.3), OPEN_STATE, "closed", ("away", 5.0)),
    ("warm room closed, unknown valve gets closed", dict(temp=21.0), None, "closed", ("away", 5.0)),
    ("manual room is left alone", dict(temp=15.0, control="manual"), CLOSED_STATE, "leave", None),
    ("stale thermometer: valve on its own program (the room's schedule)",
     dict(temp=15.0, in_sync=False, target=20.2), CLOSED_STATE, "target", ("auto", None)),
    ("no reading at all: valve on its own program", dict(temp=None, in_sync=False, target=19.8), OPEN_STATE,
     "target", ("auto", None)),
    ("stale thermometer, already on its program: nothing sent", dict(temp=None, in_sync=False),
     {**CLOSED_STATE, "mode": "auto", "until": None, "state": "target", "target_c": 20.0}, "target", None),
    ("stale thermometer under an override: valve holds the override's target until its lease ends",
     dict(temp=15.0, in_sync=False, target=22.2, target_source="override"), CLOSED_STATE, "target", ("away", 22.0)),
    ("frost opens even above target", dict(temp=6.5, target=5.0), CLOSED_STATE, "open", ("away", 30.0)),
    ("boost opens a warm room", dict(temp=23.0, target=30.0, target_source="boost",
                                     override={"kind": "boost", "temperature_c": 30.0}), CLOSED_STATE, "open",
     ("away", 30.0)),
    ("valve on its own program gets an expiring setting", dict(temp=21.0),
     {**CLOSED_STATE, "mode": "auto", "until": None}, "closed", ("away", 5.0)),
    ("valve held in manual mode (by an older version, or by hand) gets an expiring setting", dict(temp=21.0),
     {**CLOSED_STATE, "mode": "manual", "until": None}, "closed", ("away", 5.0)),
]


@pytest.mark.parametrize("case, fields, confirmed, outcome, command", ROOM_CASES, ids=[c[0] for c in ROOM_CASES])
def test_room_rules(case, fields, confirmed, outcome, command):
    (result,), _ = run([status(room(valves=[valve(state=confirmed)], **fields))])
    room_decision = result.decisions[0]
    assert room_decision["outcome"] == outcome
    assert room_decision["reason"]
    sent = [(c.mode, c.target_c) for c in result.valve_commands]
    assert sent == ([command] if command else [])
    for c in result.valve_commands:
        # Every setting but the valve's own program ends by itself, within the hour.
        if c.mode == "auto":
            assert c.until is None
        else:
            assert timedelta(minutes=10) <= c.until - T0 <= timedelta(minutes=40)


@pytest.mark.parametrize("tz", ["Europe/Amsterdam", "Asia/Kathmandu", "America/St_Johns", "UTC"])
def test_a_lease_ends_on_a_half_hour_of_the_home_clock_10_to_40_minutes_ahead(tz):
    from zoneinfo import ZoneInfo

    config = ControlConfig(tz=tz)
    for minute in range(0, 24 * 60, 7):
        now = T0 + timedelta(minutes=minute, seconds=13)
        end = engine.lease_end(now, config)
        assert timedelta(minutes=10) <= end - now <= timedelta(minutes=40), (now, end)
        local = end.astimezone(ZoneInfo(tz))
        assert local.minute in (0, 30) and local.second == 0 and local.microsecond == 0, (now, local)


def test_a_setting_is_sent_again_before_it_ends_and_not_before_that():
    now = T0
    for minutes_left, resent in ((45, False), (11, False), (9, True), (0, True), (-30, True)):
        until = (now + timedelta(minutes=minutes_left)).isoformat()
        state = {**OPEN_STATE, "until": until}
        (result,), _ = run([status(room(temp=19.0, valves=[valve(state=state)]))], start=now)
        assert bool(result.valve_commands) is resent, minutes_left
        if resent:
            # Renewed half an hour on: the next half hour at least 10 minutes ahead.
            assert result.valve_commands[0].until - now >= timedelta(minutes=10)
            assert result.valve_commands[0].until > now + timedelta(minutes=max(minutes_left, 0))


def test_a_lease_that_ended_is_not_an_open_valve_for_the_boiler():
    ended = {**OPEN_STATE, "time": "2026-01-12T03:00:00Z", "until": "2026-01-12T04:00:00Z"}
    live = {**OPEN_STATE, "time": "2026-01-12T03:00:00Z"}
    (stale,), _ = run([status(room(temp=19.0, valves=[valve(state=ended)]))])
    (fresh,), _ = run([status(room(temp=19.0, valves=[valve(state=live)]))])
    assert stale.boiler_heat is False and fresh.boiler_heat is True


# (heat, boiler's sensor, program setpoint, seconds to the program's next switch, expected override)
BOILER_SETPOINTS = [
    (True, 19.3, 20.0, 7200, 21.0),     # just above the sensor: 19.3 + 1.5, up to the next 0.5
    (True, 21.2, 20.0, 7200, 22.0),     # capped at the program + 2 K: a stranded boiler stays near it
    (True, 21.2, 20.0, 1800, 23.0),     # the override ends at the switch within the hour: no cap
    (True, 29.5, 28.0, 1800, 30.0),     # never above the thermostat's 30 °C
    (True, None, 20.0, 7200, 22.0),     # sensor unknown: the cap
    (False, 19.3, 20.0, 7200, 18.0),    # stop: below the sensor, 19.3 - 1, down to the next 0.5
    (False, 21.0, 18.0, 7200, 18.0),    # never above the program
    (False, 5.2, 16.0, 7200, 5.0),      # never below the thermostat's 5 °C
]


@pytest.mark.parametrize("heat, sensor, program, next_s, expected", BOILER_SETPOINTS)
def test_boiler_setpoint(heat, sensor, program, next_s, expected):
    assert engine.boiler_setpoint(heat, sensor, program, CONFIG, next_s) == expected


def test_boiler_request_resends_only_when_the_setpoint_moved():
    holding = {"user_mode": "clock", "override": True, "override_c": 21.0, "in_house_c": 19.3}
    assert engine.boiler_request(True, holding, (20.0, 7200), CONFIG) is None
    assert engine.boiler_request(True, {**holding, "in_house_c": 19.8}, (20.0, 7200), CONFIG) == 21.5
    assert engine.boiler_request(False, holding, (20.0, 7200), CONFIG) == 18.0
    # An override that ended at a switch point, or a boiler someone put in manual mode: asked again.
    assert engine.boiler_request(True, {**holding, "override": False}, (20.0, 7200), CONFIG) == 21.0
    assert engine.boiler_request(True, {**holding, "user_mode": "manual"}, (20.0, 7200), CONFIG) == 21.0


def test_round_half():
    assert [engine.round_half(t) for t in (20.2, 20.25, 19.74, 3.0, 35.0)] == [20.0, 20.5, 19.5, 4.5, 30.0]


def test_minimum_closed_time_holds_then_opens():
    # Warm: closes at tick 0; cold from tick 1 on; may open only after min_closed_s (10 min).
    # (a fall of 0.7 K: not an open window)
    ticks = [status(room(temp=20.3, valves=[valve(state=OPEN_STATE)]))]
    ticks += [status(room(temp=19.6, valves=[valve(state=CLOSED_STATE)])) for _ in range(12)]
    results, _ = run(ticks, config=ControlConfig(min_closed_s=600))
    outcomes = [r.decisions[0]["outcome"] for r in results]
    assert outcomes[:10] == ["closed"] * 10
    assert outcomes[10:] == ["open", "open", "open"]
    assert "minimum" in results[5].decisions[0]["reason"]


def test_open_window_closes_valves_for_a_while():
    temps = [19.0, 19.0, 18.6, 17.9] + [17.8] * 25
    ticks = [status(room(temp=t, valves=[valve(state=OPEN_STATE)])) for t in temps]
    results, _ = run(ticks)
    outcomes = [r.decisions[0]["outcome"] for r in results]
    assert outcomes[:3] == ["open"] * 3
    assert outcomes[3] == "closed" and "window" in results[3].decisions[0]["reason"]
    # closed for window_close_s (20 min) from the drop, then heating again
    assert outcomes[3:23] == ["closed"] * 20
    assert outcomes[23] == "open"


def _contact(is_open: bool, at: datetime, name="window"):
    return {"name": name, "open": is_open, "time": at.isoformat(), "source": "mqtt"}


def test_an_open_window_contact_shuts_the_valves_at_once_with_an_expiring_command_and_closing_reopens():
    cold = dict(temp=18.0, valves=[valve(state=OPEN_STATE)])
    ticks = [status(room(**cold, contacts=[_contact(False, T0)])),
             status(room(**cold, contacts=[_contact(True, T0 + timedelta(seconds=50))])),
             status(room(temp=18.0, valves=[valve(state=CLOSED_STATE)],
                         contacts=[_contact(False, T0 + timedelta(seconds=110))]))]
    results, _ = run(ticks)
    assert [r.decisions[0]["outcome"] for r in results] == ["open", "closed", "open"]
    shut = results[1]
    assert "window contact reports open" in shut.decisions[0]["reason"]
    [command] = shut.valve_commands
    assert (command.mode, command.target_c) == ("away", 5.0)
    assert command.until == engine.lease_end(T0 + timedelta(seconds=60), CONFIG)  # ends by itself
    # The room needs no heat while shut: the boiler is not asked for it.
    assert "heat asked by Room 1" not in shut.boiler_reason
    # The contact closing lifts the rule at once, without the minimum closed time.
    assert results[2].valve_commands and results[2].valve_commands[0].target_c == 30.0


def test_a_contact_open_for_too_long_no_longer_keeps_the_room_cold_and_frost_still_heats():
    opened = T0 - timedelta(seconds=CONFIG.contact_max_open_s + 60)
    results, _ = run([status(room(temp=18.0, valves=[valve(state=CLOSED_STATE)], contacts=[_contact(True, opened)]))])
    assert results[0].decisions[0]["outcome"] == "open"
    results, _ = run([status(room(temp=6.0, valves=[valve(state=CLOSED_STATE)], contacts=[_contact(True, T0)]))])
    assert results[0].decisions[0]["outcome"] == "open" and "frost" in results[0].decisions[0]["reason"]
    # Without readings the contact still shuts the valves (it needs no thermometer).
    results, _ = run([status(room(temp=None, in_sync=False, valves=[valve(state=OPEN_STATE)],
                                  contacts=[_contact(True, T0)]))])
    assert results[0].decisions[0]["outcome"] == "closed"


def test_slow_cooling_is_not_a_window():
    temps = [19.0 - 0.1 * i for i in range(12)]  # 0.5 K per 5 min
    results, _ = run([status(room(temp=t, target=17.0, valves=[valve(state=CLOSED_STATE)])) for t in temps])
    assert all("window" not in r.decisions[0]["reason"] for r in results)


def boiler_outcomes(results):
    return [r.boiler_heat for r in results]


def test_boiler_waits_for_confirmed_open_valves_then_keeps_min_burn():
    # The valve opens (command at tick 0), is confirmed from tick 1; boiler heat from 150 s after that.
    cold_closed = status(room(temp=19.0, valves=[valve(state=CLOSED_STATE)]))
    cold_open = status(room(temp=19.0, valves=[valve(state={**OPEN_STATE, "time": None})]))
    warm_closed = status(room(temp=20.4, valves=[valve(state=CLOSED_STATE)]))
    ticks = [cold_closed] + [cold_open] * 11 + [warm_closed] * 10
    config = ControlConfig(min_open_s=0, min_closed_s=0)
    results, _ = run(ticks, config=config)
    heat = boiler_outcomes(results)
    # confirmed at tick 1 (60 s); 150 s later is tick 3.5 → heat from tick 4
    assert heat[:4] == [False] * 4
    assert heat[4:12] == [True] * 8
    # the room is warm from tick 12 (burnt 8 min): min burn 10 min keeps heat until tick 14
    assert heat[12:14] == [True, True]
    assert heat[14:] == [False] * 8
    assert "minimum burn" in results[12].boiler_reason


def test_boiler_minimum_pause():
    burning = {"heat_demand": True, "user_mode": "manual", "setpoint_c": 30.0, "indicator": "central heating"}
    warm = status(room(temp=20.4, valves=[valve(state=CLOSED_STATE)]), boiler=burning)
    cold_open = status(room(temp=19.6, valves=[valve(state=OPEN_STATE)]))
    config = ControlConfig(min_open_s=0, min_closed_s=0)
    results, _ = run([warm] + [cold_open] * 8, config=config)
    heat = boiler_outcomes(results)
    # stopped at tick 0; pause of 5 min before it may fire again
    assert heat == [False] * 5 + [True] * 4


def test_valve_on_own_thermostat_asks_boiler_when_open():
    stale_open = room(temp=None, in_sync=False, valves=[valve(state={**CLOSED_STATE, "target_c": 20.0,
                                                                      "valve_pct": 60})])
    stale_shut = room(temp=None, in_sync=False, valves=[valve(state={**CLOSED_STATE, "target_c": 20.0,
                                                                      "valve_pct": 10})])
    (a,), _ = run([status(stale_open)])
    (b,), _ = run([status(stale_shut)])
    assert a.boiler_heat is True and b.boiler_heat is False


def test_manual_room_commands_nothing_but_its_open_valve_asks_heat():
    manual = room(temp=15.0, control="manual", valves=[valve(state={**CLOSED_STATE, "mode": "auto",
                                                                    "target_c": 21.0, "valve_pct": 80})])
    (result,), _ = run([status(manual)])
    assert result.valve_commands == [] and result.boiler_heat is True


def test_decisions_recorded_only_on_change():
    ticks = [status(room(temp=19.0, valves=[valve(state=OPEN_STATE)]))] * 3
    results, _ = run(ticks)
    assert [len(r.decisions_to_record) for r in results] == [2, 0, 0]  # room + boiler, then nothing new
    assert [len(r.decisions) for r in results] == [2, 2, 2]


def test_weekly_exercise_opens_idle_valves_at_the_quiet_hour():
    # Wednesday 2026-01-14 11:00 Amsterdam = 10:00 UTC; the loop started more than a week earlier.
    state = engine.EngineState(started_at=T0 - timedelta(days=9))
    warm_closed = status(room(temp=21.0, valves=[valve(state=CLOSED_STATE)]))
    start = datetime(2026, 1, 14, 9, 58, tzinfo=timezone.utc)
    results, _ = run([warm_closed] * 9, state=state, start=start)
    commands = [[(c.mode, c.target_c) for c in r.valve_commands] for r in results]
    assert commands[:2] == [[], []]
    assert commands[2:7] == [[("away", 30.0)]] * 5
    assert commands[7:] == [[], []]
    assert "exercise" in results[2].valve_commands[0].reason
    assert all(r.boiler_heat is False for r in results)


def test_no_exercise_for_a_valve_open_this_week():
    state = engine.EngineState(started_at=T0 - timedelta(days=9))
    start = datetime(2026, 1, 14, 9, 58, tzinfo=timezone.utc)
    opened = status(room(temp=19.0, valves=[valve(state=OPEN_STATE)]))
    warm_closed = status(room(temp=21.0, valves=[valve(state=CLOSED_STATE)]))
    results, _ = run([opened, warm_closed, warm_closed, warm_closed], state=state, start=start,
                     config=ControlConfig(min_open_s=0))
    assert all(c.target_c != 30.0 for r in results[1:] for c in r.valve_commands)


def sunny_weather(now, solar_wm2, temp_c=2.0, rise_k=0.0):
    return {"time": now.isoformat(), "outdoor_temp_c": temp_c,
            "forecast": [{"time": (now + timedelta(hours=h)).isoformat(), "temperature_c": temp_c + rise_k * h / 3,
                          "shortwave_radiation_wm2": solar_wm2} for h in range(1, 49)]}


# (case, temperature, smart_heat, weather factory, expected outcome)
SMART_CASES = [
    ("sun coming, close to target: wait", 19.5, True, lambda now: sunny_weather(now, 300), "closed"),
    ("sun coming but far below target: heat", 18.5, True, lambda now: sunny_weather(now, 300), "open"),
    ("no sun: heat", 19.5, True, lambda now: sunny_weather(now, 20), "open"),
    ("outdoor warming fast: wait", 19.5, True, lambda now: sunny_weather(now, 0, rise_k=4.0), "closed"),
    ("room without smart heat: heat", 19.5, False, lambda now: sunny_weather(now, 300), "open"),
    ("no forecast: heat", 19.5, True, lambda now: {}, "open"),
]


@pytest.mark.parametrize("case, temp, smart, weather, outcome", SMART_CASES, ids=[c[0] for c in SMART_CASES])
def test_smart_heat(case, temp, smart, weather, outcome):
    (result,), _ = run([status(room(temp=temp, smart_heat=smart, valves=[valve(state=CLOSED_STATE)]))],
                       weather=weather(T0))
    assert result.decisions[0]["outcome"] == outcome


def test_preheat_starts_before_the_switch_point_and_zoning_does_not():
    # 18.0 °C now, target 18; at 07:00 UTC the target becomes 20. Default rate 1 K/h + 15 min dead time:
    # 2 K need 2 h 15 min, so at 05:00 (2 h before) pre-heat opens, plain zoning waits.
    upcoming = {"weekday": 0, "time": "08:00", "temperature_c": 20.0, "at": "2026-01-12T07:00:00Z"}
    snapshot = status(room(temp=18.0, target=18.0, next_switch_point=upcoming, valves=[valve(state=CLOSED_STATE)]))
    (plain,), _ = run([snapshot], strategy="zoning")
    (ahead,), _ = run([snapshot], strategy="zoning-preheat")
    assert plain.decisions[0]["outcome"] == "closed"
    assert ahead.decisions[0]["outcome"] == "open" and "pre-heating" in ahead.decisions[0]["reason"]
    # Three hours before, it is too early even for pre-heat.
    (early,), _ = run([snapshot], strategy="zoning-preheat", start=T0 - timedelta(hours=1))
    assert early.decisions[0]["outcome"] == "closed"


def test_preheat_learns_the_heating_rate():
    # Valve open since long, boiler heating: the room rises 2 K/h; after settle + a 30-min sample the rate is 2.
    strategy = make_strategy("zoning-preheat")
    state = engine.EngineState()
    for minute in range(0, 61):
        now = T0 + timedelta(minutes=minute)
        snapshot = status(room(temp=round(16.0 + 2.0 * minute / 60, 1), target=21.0,
                               valves=[valve(state=OPEN_STATE)]),
                          boiler={"heat_demand": True, "user_mode": "manual"})
        engine.tick(snapshot, {}, now, state, strategy, CONFIG)
    assert strategy.rate_for(1, CONFIG) == pytest.approx(2.0, abs=0.15)


def test_preheat_coasts_into_a_lower_switch_point():
    # Target 20 until 05:20 UTC, then 16: in the last 30 min the room steers to 16 already.
    upcoming = {"weekday": 0, "time": "06:20", "temperature_c": 16.0, "at": "2026-01-12T05:20:00Z"}
    snapshot = status(room(temp=19.5, target=20.0, next_switch_point=upcoming, valves=[valve(state=CLOSED_STATE)]))
    (plain,), _ = run([snapshot], strategy="zoning")
    (coasting,), _ = run([snapshot], strategy="zoning-preheat")
    (early,), _ = run([snapshot], strategy="zoning-preheat", start=T0 - timedelta(minutes=30))
    assert plain.decisions[0]["outcome"] == "open"
    assert coasting.decisions[0]["outcome"] == "closed" and "coasting" in coasting.decisions[0]["reason"]
    assert early.decisions[0]["outcome"] == "open"


def test_a_new_target_lifts_the_minimum_closed_time():
    # Closed at 20.3 (target 20); a minute later the schedule raises the target to 21: open at once.
    ticks = [status(room(temp=20.3, target=20.0, valves=[valve(state=OPEN_STATE)])),
             status(room(temp=20.3, target=21.0, valves=[valve(state=CLOSED_STATE)]))]
    results, _ = run(ticks)
    assert [r.decisions[0]["outcome"] for r in results] == ["closed", "open"]


def test_preheat_rooms_join_a_running_burn_and_zoning_rooms_wait():
    # Room 1 is cold (the boiler burns for it); room 2 is 0.1 K below its target, inside the band.
    burning = {"heat_demand": True, "user_mode": "manual", "setpoint_c": 30.0, "indicator": "central heating"}
    snapshot = status(room(temp=19.0, valves=[valve(state=OPEN_STATE)]),
                      room(temp=19.9, room_id=2, valves=[valve(mac="00:1A:22:0C:3B:5E", state=CLOSED_STATE,
                                                               valve_id=2)]), boiler=burning)
    (plain,), _ = run([snapshot], strategy="zoning")
    (joining,), _ = run([snapshot], strategy="zoning-preheat")
    assert plain.decisions[1]["outcome"] == "closed"
    assert joining.decisions[1]["outcome"] == "open" and "joining the burn" in joining.decisions[1]["reason"]
    # Without a burn, the room inside the band waits under both.
    quiet = status(room(temp=20.0, valves=[valve(state=CLOSED_STATE)]),
                   room(temp=19.9, room_id=2, valves=[valve(mac="00:1A:22:0C:3B:5E", state=CLOSED_STATE,
                                                            valve_id=2)]))
    (alone,), _ = run([quiet], strategy="zoning-preheat")
    assert alone.decisions[1]["outcome"] == "closed"


def test_sharing_burns_waits_for_more_radiator_power_up_to_a_limit():
    # One 1500 W radiator asks; with a 2000 W minimum the boiler waits up to 5 min, then fires.
    config = ControlConfig(boiler_min_demand_w=2000, boiler_demand_wait_s=300, min_open_s=0, min_closed_s=0)
    cold_open = status(room(temp=19.0, valves=[valve(state=OPEN_STATE)]))
    results, _ = run([cold_open] * 7, config=config)
    assert [r.boiler_heat for r in results] == [False] * 5 + [True] * 2
    assert "share the burn" in results[0].boiler_reason
    (at_once,), _ = run([cold_open], config=ControlConfig())
    assert at_once.boiler_heat is True


def test_a_move_is_read_back_once_the_motor_finished_and_a_renewal_is_not():
    config = ControlConfig(min_open_s=0, min_closed_s=0)
    closed = {**CLOSED_STATE, "time": T0.isoformat()}
    # Tick 0: the cold room's valve is opened (a move); the status shows the command's answer after.
    opened = {**OPEN_STATE, "time": T0.isoformat()}
    ticks = [status(room(temp=19.0, valves=[valve(state=closed)]))] + \
        [status(room(temp=19.0, valves=[valve(state=opened)]))] * 4
    results, _ = run(ticks, config=config)
    assert [len(r.valve_commands) for r in results] == [1, 0, 0, 0, 0]
    # valve_settle_s (2 min) after the move: one read, then none (the read is on its way to the status).
    assert [len(r.valve_reads) for r in results] == [0, 0, 1, 0, 0]
    assert "motor" in results[2].valve_reads[0].reason
    # A renewal of the same setting moves nothing: no read after it.
    ending = {**OPEN_STATE, "time": T0.isoformat(), "until": (T0 + timedelta(minutes=5)).isoformat()}
    results, _ = run([status(room(temp=19.0, valves=[valve(state=ending)]))] + [
        status(room(temp=19.0, valves=[valve(state=opened)]))] * 3, config=config)
    assert [len(r.valve_commands) for r in results] == [1, 0, 0, 0]
    assert all(not r.valve_reads for r in results)


def test_a_valve_not_heard_for_a_while_is_read_even_in_a_manual_room():
    heard_long_ago = {**CLOSED_STATE, "time": (T0 - timedelta(minutes=10)).isoformat()}
    heard_lately = {**CLOSED_STATE, "time": (T0 - timedelta(minutes=8)).isoformat()}
    for control in ("auto", "manual"):
        (old, recent), _ = run([status(room(temp=21.0, control=control, valves=[valve(state=heard_long_ago)])),
                                status(room(temp=21.0, control=control, valves=[valve(state=heard_lately)]))])
        assert [r.mac for r in old.valve_reads] == ["00:1A:22:0C:3B:5D"] and "periodic" in old.valve_reads[0].reason
        assert recent.valve_reads == [] and old.valve_commands == []
    # Not asked again every tick while the read's record is on its way (or the valve does not answer).
    results, _ = run([status(room(temp=21.0, valves=[valve(state=heard_long_ago)]))] * 10)
    assert [len(r.valve_reads) for r in results] == [1] + [0] * 8 + [1]
