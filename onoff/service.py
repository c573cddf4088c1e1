"""The live control loop: scheduler, drivers, records.

Every tick: send waiting records, read the status from the API, decide with
``engine.tick``, send valve commands (concurrently, each with a timeout, a
failing valve backing off without holding up the others), ask the boiler,
record what the devices confirmed and every decision. When it stops, or the
API has been unreachable for ``api_down_ticks`` ticks, it hands the house
back: valves to their own week program (mode auto), the boiler to its clock
program.
"""
from __future__ import annotations

import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from common.api_client import ApiClient, ApiError, ApiRejected, ApiUnavailable
from common.clock import Clock
from onoff import engine
from onoff.config import ControlConfig
from onoff.drivers import DeviceError, PermanentDeviceError
from onoff.drivers.bridge import BridgeClient
from onoff.drivers.nefit import NefitBoiler
from onoff.heartbeat import Heartbeat
from onoff.lease import ControllerLease, LeaseHeld, holder_is_dead_here
from onoff.programs import ProgramSync
from onoff.records import RecordQueue
from onoff.scheduler import run_every
from onoff.settings import OnoffSettings
from onoff.strategies import make_strategy
from onoff.weather import OpenMeteoClient, with_outdoor_sensor

log = logging.getLogger("onoff")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _local_to_utc(text: str | None, config: ControlConfig) -> datetime | None:
    """A valve's local wall-clock time ("YYYY-MM-DDTHH:MM", as bridges report away ends) in UTC."""
    if not text:
        return None
    try:
        local = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=config.zone)
    return local.astimezone(timezone.utc)


def valve_state_record(status: dict, now: datetime, reason: str, config: ControlConfig) -> dict:
    """A POST /api/valves/{id}/state body from the status a valve reported, stamped with when the
    bridge heard it (``last_seen``), not when it was asked."""
    mode, target = status.get("mode"), status.get("target_c")
    until = None
    if status.get("away"):
        mode = "away"
        until = _local_to_utc(status.get("away_until"), config)
    held = mode in ("manual", "away")
    if held and target is not None and float(target) >= config.open_target_c - 0.25:
        state = "open"
    elif held and target is not None and float(target) <= config.closed_target_c + 0.25:
        state = "closed"
    elif target is not None:
        state = "target"
    else:
        state = "unknown"
    heard = _local_to_utc(status.get("last_seen"), config) or now
    return {"time": _iso(heard), "state": state, "target_c": target, "valve_pct": status.get("valve_pct"),
            "mode": mode, "until": _iso(until) if until else None, "low_battery": status.get("low_battery"),
            "reason": reason[:500]}


def _half(value) -> float | None:
    return None if value is None else round(float(value) * 2) / 2


def _setting_words(command: engine.ValveCommand) -> str:
    if command.mode == "auto":
        return "its own week program"
    return f"{command.mode} {command.target_c:.1f} °C until {_iso(command.until) if command.until else '?'}"


def _reported_words(status: dict) -> str:
    if status.get("away"):
        return f"away {status.get('target_c')} °C until {status.get('away_until')}"
    return f"{status.get('mode')} {status.get('target_c')} °C"


def _check(kind: str, device_id: int | None, now: datetime, ok: bool = True, code: str | None = None,
           message: str | None = None) -> dict:
    """A device check for POST /api/device-checks: whether the device answered, at ``now``."""
    return {"time": _iso(now), "kind": kind, "id": device_id, "ok": ok, "code": code, "message": message}


def _target_reason(room: dict) -> str:
    """Why a room has its target, in a few words for the history (the source says the kind)."""
    source = room.get("target_source")
    override = room.get("override") or {}
    current = room.get("current_switch_point") or {}
    if source in ("override", "boost") and override.get("ends_at"):
        return f"{source} until {override['ends_at']}"
    if source == "schedule" and current.get("time"):
        return f"switch point {current['time']}"
    return source or "default"


#: How often the weather the loop uses is recorded for the page (the forecast changes hourly).
WEATHER_RECORD_S = 15 * 60

#: Bridge answers that mean the bridge works but the valve behind it did not answer.
VALVE_SILENT = {"bluetooth_timeout", "bad_response"}


def _failed_checks(exc: DeviceError, valve_id: int | None, bridge_id: int | None, now: datetime) -> list[dict]:
    """What a failed valve call says of the valve and of its bridge."""
    if exc.code == "not_paired":
        # The bridge reached the valve, which refuses commands until it is paired with its PIN.
        checks = [_check("valve", valve_id, now, False, "valve_unpaired", str(exc)[:300])]
        return checks + ([_check("bridge", bridge_id, now)] if bridge_id is not None else [])
    if exc.code in VALVE_SILENT:
        checks = [_check("valve", valve_id, now, False, "valve_unreachable", str(exc)[:300])]
        return checks + ([_check("bridge", bridge_id, now)] if bridge_id is not None else [])
    if exc.code in ("connection", "timeout") or exc.code.startswith("http_5"):
        return [_check("bridge", bridge_id, now, False, "bridge_unreachable", str(exc)[:300])] \
            if bridge_id is not None else []
    return []


@dataclass
class Backoff:
    """Exponential back-off per device: next attempt not before ``next_at``."""

    initial_s: float
    max_s: float
    failures: dict[str, int] = field(default_factory=dict)
    next_at: dict[str, datetime] = field(default_factory=dict)

    def ready(self, key: str, now: datetime) -> bool:
        return key not in self.next_at or now >= self.next_at[key]

    def failed(self, key: str, now: datetime, permanent: bool = False) -> float:
        count = self.failures.get(key, 0) + 1
        self.failures[key] = count
        wait_s = self.max_s if permanent else min(self.max_s, self.initial_s * 2 ** (count - 1))
        self.next_at[key] = now + timedelta(seconds=wait_s)
        return wait_s

    def succeeded(self, key: str) -> None:
        self.failures.pop(key, None)
        self.next_at.pop(key, None)


@dataclass
class TickReport:
    """What one tick did (for the CLI, the logs and the tests)."""

    time: datetime
    status_ok: bool
    decisions: list[dict] = field(default_factory=list)
    valve_commands: list[engine.ValveCommand] = field(default_factory=list)
    valves_confirmed: dict[str, dict] = field(default_factory=dict)
    valve_errors: dict[str, str] = field(default_factory=dict)
    boiler_heat: bool | None = None
    boiler_confirmed: dict | None = None
    boiler_error: str | None = None
    handed_back: bool = False


class ControlLoop:
    def __init__(self, api, clock: Clock, strategy, config: ControlConfig, boiler=None, weather=None,
                 records: RecordQueue | None = None, bridge_timeout_s: float = 15.0,
                 retry_initial_s: float = 60.0, retry_max_s: float = 900.0, api_down_ticks: int = 5,
                 dry_run: bool = False):
        self.api = api
        self.clock = clock
        self.strategy = strategy
        self.config = config
        self.boiler = boiler
        self.weather = weather
        self.records = records or RecordQueue(api)
        self.bridge_timeout_s = bridge_timeout_s
        self.api_down_ticks = api_down_ticks
        self.dry_run = dry_run
        self.state = engine.EngineState()
        self.valve_backoff = Backoff(retry_initial_s, retry_max_s)
        self.boiler_backoff = Backoff(retry_initial_s, retry_max_s)
        self.api_failures = 0
        self.handed_back = False
        self.last_status: dict | None = None
        #: The boiler's last confirmed state (from reading it back), None until known.
        self.boiler_confirmed: dict | None = None
        #: How often the boiler's status is read between commands, seconds: its sensor's temperature
        #: moves the override setpoint, its indicator is what the page shows.
        self.boiler_check_s = 120.0
        #: The boiler state last recorded, to record a read only when something changed.
        self._boiler_recorded: tuple | None = None
        self._weather_recorded_at: datetime | None = None
        self._targets_recorded: dict[int, tuple] = {}
        self._boiler_checked_at: datetime | None = None
        self._bridges: dict[str, BridgeClient] = {}
        #: Each bridge's token by base URL, from the API's status (the page's bridge setup sets it).
        self._bridge_tokens: dict[str, str | None] = {}
        #: The valves' own week programs, kept equal to their rooms' schedules.
        self.programs = ProgramSync()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: OnoffSettings, dry_run: bool = False) -> "ControlLoop":
        api = ApiClient(settings.api_url, settings.service_token, settings.api_timeout_s)
        boiler = None
        if settings.nefit_url:
            boiler = NefitBoiler(settings.nefit_url, settings.nefit_timeout_s)
        weather = None
        if settings.latitude is not None and settings.longitude is not None:
            weather = OpenMeteoClient(settings.latitude, settings.longitude, settings.weather_url,
                                      settings.weather_timeout_s, settings.weather_refresh_s,
                                      settings.weather_cache_path)
        return cls(api, Clock.from_settings(settings), make_strategy(settings.strategy), settings.control_config(),
                   boiler=boiler, weather=weather,
                   records=RecordQueue(api, settings.record_queue_max, settings.spool_dir, settings.spool_max_bytes),
                   bridge_timeout_s=settings.bridge_timeout_s, retry_initial_s=settings.retry_initial_s,
                   retry_max_s=settings.retry_max_s, api_down_ticks=settings.api_down_ticks, dry_run=dry_run)

    def _bridge(self, base_url: str) -> BridgeClient:
        token = self._bridge_tokens.get(base_url)
        if base_url not in self._bridges:
            self._bridges[base_url] = BridgeClient(base_url, self.bridge_timeout_s, token)
        elif self._bridges[base_url].token != token:
            self._bridges[base_url].set_token(token)  # changed on the page's bridge setup
        return self._bridges[base_url]

    def _learn_bridge_tokens(self, status: dict) -> None:
        for room in status.get("rooms", []):
            for valve in room.get("valves", []):
                bridge = valve.get("bridge") or {}
                if bridge.get("base_url"):
                    self._bridge_tokens[bridge["base_url"]] = bridge.get("token")

    def _record(self, path: str, body: dict) -> None:
        if not self.dry_run:
            self.records.add(path, body)

    # --- the tick -------------------------------------------------------------------------

    def tick(self) -> TickReport:
        """One control step; never raises for a device or API failure (logs it and goes on)."""
        with self._lock:
            now = self.clock.now()
            report = TickReport(time=now, status_ok=False)
            if not self.dry_run:
                self.records.flush()
            try:
                # Asked at the loop's own instant, so the API resolves targets for the same moment
                # the loop decides for (they share the clock settings; this removes any skew).
                status = self.api.get("/api/status", params={"at": _iso(now)})
                self._learn_bridge_tokens(status)
            except (ApiUnavailable, ApiRejected) as exc:
                self.api_failures += 1
                log.warning("No status from the API (%s), %d tick(s) in a row; %s", exc, self.api_failures,
                            "handing the house back to the valves' and boiler's own programs"
                            if self.api_failures >= self.api_down_ticks and not self.handed_back
                            else "valves and boiler stay as they are")
                if self.api_failures >= self.api_down_ticks and not self.handed_back:
                    self.hand_back(f"the API has not answered for {self.api_failures} ticks")
                    report.handed_back = True
                return report
            if self.handed_back:
                log.info("The API answers again: the control loop takes the house back")
            self.api_failures = 0
            self.handed_back = False
            self.last_status = status
            report.status_ok = True
            weather = with_outdoor_sensor(self.weather.get(now) if self.weather is not None else {}, status)
            self._record_weather(weather, now)
            self._record_targets(status, now)
            result = engine.tick(status, weather, now, self.state, self.strategy, self.config)
            report.decisions = result.decisions
            report.valve_commands = result.valve_commands
            report.boiler_heat = result.boiler_heat
            if self.dry_run:
                return report
            self._apply_valves(result.valve_commands, result.valve_reads, status, now, report)
            self._apply_boiler(result.boiler_heat, result.boiler_reason, status, now, report)
            for room, valve, reported in self.programs.sync(self.api, self._bridge, status, now):
                if valve.get("id") is not None:
                    self._record(f"/api/valves/{valve['id']}/state", valve_state_record(
                        reported, now, "on its own week program, just rewritten to the room's schedule", self.config))
            if result.decisions_to_record:
                self._record("/api/decisions", {"decisions": result.decisions_to_record})
            self.records.flush()
            return report

    def _apply_valves(self, commands: list[engine.ValveCommand], reads: list[engine.ValveRead], status: dict,
                      now: datetime, report: TickReport) -> None:
        """Send the commands and the read-backs, concurrently (a slow valve holds up no other), and
        record what each valve reported, and whether it answered at all (device checks)."""
        due = []
        for item in [*commands, *reads]:
            if not item.bridge_url:
                log.error("Valve %s in %s has no bridge configured; it cannot be driven", item.mac, item.room_name)
                continue
            if self.valve_backoff.ready(item.mac, now):
                due.append(item)
            else:
                log.debug("Valve %s in %s waits for its retry at %s", item.mac, item.room_name,
                          self.valve_backoff.next_at[item.mac])
        if not due:
            return
        known = {v["mac"].upper(): v for room in status.get("rooms", []) for v in room.get("valves", [])}

        def send(item):
            bridge = self._bridge(item.bridge_url)
            if isinstance(item, engine.ValveRead):
                return bridge.status(item.mac, refresh=True)
            until_local = (item.until.astimezone(self.config.zone).replace(tzinfo=None)
                           if item.until is not None else None)
            return bridge.apply(item.mac, item.mode, item.target_c, until_local)

        checks = []
        with ThreadPoolExecutor(max_workers=min(8, len(due)), thread_name_prefix="valve") as pool:
            futures = [(item, pool.submit(send, item)) for item in due]
            for item, future in futures:
                valve = known.get(item.mac, {})
                bridge_id = (valve.get("bridge") or {}).get("id")
                what = _setting_words(item) if isinstance(item, engine.ValveCommand) else "a read-back"
                try:
                    reported = future.result()
                except DeviceError as exc:
                    permanent = isinstance(exc, PermanentDeviceError)
                    wait_s = self.valve_backoff.failed(item.mac, now, permanent)
                    report.valve_errors[item.mac] = exc.code
                    log.warning("Valve %s in %s did not take %s (%s); %s in %.0f s", item.mac, item.room_name, what,
                                exc, "check its configuration; asking again" if permanent else "retrying", wait_s)
                    checks.extend(_failed_checks(exc, item.valve_id, bridge_id, now))
                    continue
                self.valve_backoff.succeeded(item.mac)
                checks.append(_check("valve", item.valve_id, now))
                if bridge_id is not None:
                    checks.append(_check("bridge", bridge_id, now))
                if isinstance(item, engine.ValveCommand):
                    report.valves_confirmed[item.mac] = reported
                    reason = item.reason
                    log.info("Valve %s in %s confirmed %s, %s %%: %s", item.mac, item.room_name,
                             _reported_words(reported), reported.get("valve_pct"), item.reason)
                else:
                    reason = item.reason
                    before = valve.get("state") or {}
                    record = valve_state_record(reported, now, reason, self.config)
                    if before and (before.get("mode"), _half(before.get("target_c"))) != \
                            (record["mode"], _half(record["target_c"])):
                        reason = (f"{item.reason}: reports {_reported_words(reported)}, not the "
                                  f"{before.get('mode')} {before.get('target_c')} °C last confirmed (turned by hand, "
                                  f"a lost command, or its setting ended)")
                        log.warning("Valve %s in %s %s; putting it right", item.mac, item.room_name, reason)
                if item.valve_id is not None:
                    self._record(f"/api/valves/{item.valve_id}/state",
                                 valve_state_record(reported, now, reason, self.config))
        if checks:
            self._record("/api/device-checks", {"checks": checks})

    def _apply_boiler(self, heat: bool, reason: str, status: dict, now: datetime, report: TickReport) -> None:
        """Ask the boiler for heat (or none) with an override of its program that it ends by itself.

        The boiler is read when its last reading is older than boiler_check_s or the request
        changed; the override setpoint follows its sensor (engine.boiler_request). Recorded is what
        the boiler reported, when it changed.
        """
        if self.boiler is None or not self.boiler_backoff.ready("boiler", now):
            return
        asked_before = self.state.boiler.asked
        self.state.boiler.asked = heat
        try:
            stale = self._boiler_checked_at is None \
                or (now - self._boiler_checked_at).total_seconds() >= self.boiler_check_s
            if self.boiler_confirmed is None or stale or asked_before != heat:
                seen = self.boiler.status()
                self._boiler_checked_at = now
                self.boiler_confirmed = seen
                # What the boiler reported is recorded even when the loop is about to change it
                # (someone set the thermostat by hand): the record shows what really happened.
                self._record_boiler(seen, now, "read from the boiler")
            seen = self.boiler_confirmed
            program = self.boiler.program_at(now, self.config.zone)
            setpoint = engine.boiler_request(heat, seen, program, self.config)
            if setpoint is not None:
                if asked_before == heat and seen.get("override") is False and seen.get("user_mode") == "clock":
                    log.info("The boiler is back on its program (its override ended at a switch point, or someone "
                             "changed it); asking again")
                elif asked_before == heat and seen.get("user_mode") != "clock":
                    log.warning("The boiler reports %s mode, which this loop did not set; setting it back",
                                seen.get("user_mode"))
                seen = self.boiler.set_override(setpoint)
                self.boiler_confirmed = seen
                self._boiler_checked_at = now
                report.boiler_confirmed = seen
                log.info("Boiler confirmed an override at %.1f °C (its sensor %s °C, program %s °C, %s): %s",
                         seen["override_c"], seen.get("in_house_c"), program[0], seen.get("indicator"), reason)
        except DeviceError as exc:
            wait_s = self.boiler_backoff.failed("boiler", now, isinstance(exc, PermanentDeviceError))
            report.boiler_error = exc.code
            self.boiler_confirmed = None
            log.warning("The boiler did not take the request to %s (%s); retrying in %.0f s",
                        "heat" if heat else "stop", exc, wait_s)
            self._record("/api/device-checks", {"checks": [
                _check("boiler", None, now, False, "boiler_unreachable", str(exc)[:300])]})
            return
        self.boiler_backoff.succeeded("boiler")
        if self._boiler_checked_at == now:
            self._record("/api/device-checks", {"checks": [_check("boiler", None, now)]})
        self._record_boiler(seen, now, reason)

    def _record_weather(self, weather: dict, now: datetime) -> None:
        """The outdoor temperature and forecast this loop uses, for the page, every WEATHER_RECORD_S."""
        if not weather or (self._weather_recorded_at is not None
                           and (now - self._weather_recorded_at).total_seconds() < WEATHER_RECORD_S):
            return
        self._weather_recorded_at = now
        self._record("/api/weather", {
            "time": _iso(now), "outdoor_temp_c": weather.get("outdoor_temp_c"),
            "forecast": [{"time": hour["time"], "temperature_c": hour.get("temperature_c")}
                         for hour in weather.get("forecast", [])[:48]]})

    def _record_targets(self, status: dict, now: datetime) -> None:
        """Each room's target and why, when it differs from what this loop recorded last: the history
        of what the target was (the schedule alone does not know overrides or house modes later)."""
        changed = []
        for room in status.get("rooms", []):
            if room.get("id") is None or room.get("target_c") is None:
                continue
            key = (room["target_c"], room.get("target_source"))
            if self._targets_recorded.get(room["id"]) == key:
                continue
            self._targets_recorded[room["id"]] = key
            changed.append({"room_id": room["id"], "time": _iso(now), "target_c": room["target_c"],
                            "source": room.get("target_source") or "default", "reason": _target_reason(room)})
        if changed:
            self._record("/api/targets", {"targets": changed})

    def _record_boiler(self, seen: dict, now: datetime, reason: str) -> None:
        fields = {key: seen.get(key) for key in ("heat_demand", "user_mode", "setpoint_c", "indicator")}
        key = tuple(fields.values())
        if key == self._boiler_recorded:
            return
        self._boiler_recorded = key
        self._record("/api/boiler/state", {"time": _iso(now), **fields, "reason": reason[:500]})

    # --- handing back -------------------------------------------------------------------

    def hand_back(self, why: str) -> None:
        """Valves of auto-controlled rooms to mode auto, the boiler to its clock program; records what confirmed."""
        if self.dry_run:
            return
        now = self.clock.now()
        self.handed_back = True
        reason = f"handed back to the device's own program: {why}"
        valves = [(room, valve) for room in (self.last_status or {}).get("rooms", [])
                  if room.get("control") != "manual" for valve in room.get("valves", [])
                  if (valve.get("bridge") or {}).get("base_url")]

        def send(valve: dict) -> dict:
            return self._bridge(valve["bridge"]["base_url"]).set_mode(valve["mac"], "auto")

        if valves:
            with ThreadPoolExecutor(max_workers=min(8, len(valves)), thread_name_prefix="handback") as pool:
                futures = [(room, valve, pool.submit(send, valve)) for room, valve in valves]
                for room, valve, future in futures:
                    try:
                        confirmed = future.result()
                    except DeviceError as exc:
                        log.error("Valve %s in %s could not be put back on its own program (%s); it keeps its "
                                  "last setting", valve["mac"], room.get("name"), exc)
                        continue
                    log.info("Valve %s in %s is back on its own week program", valve["mac"], room.get("name"))
                    if valve.get("id") is not None:
                        self._record(f"/api/valves/{valve['id']}/state",
                                     valve_state_record(confirmed, now, reason, self.config))
        if self.boiler is not None:
            try:
                confirmed = self.boiler.to_clock_program()
            except DeviceError as exc:
                log.error("The boiler could not be put back on its clock program (%s); it keeps its last setting",
                          exc)
            else:
                self.boiler_confirmed = confirmed
                log.info("The boiler is back on its own clock program")
                self._record_boiler(confirmed, now, reason)
        # The engine must not assume the old setting any longer: let it re-learn from the status.
        self.state.boiler = engine.BoilerMemory()
        if not self.dry_run:
            self.records.flush()

    def close(self) -> None:
        for bridge in self._bridges.values():
            bridge.close()
        for part in (self.boiler, self.weather, self.api):
            if part is not None and hasattr(part, "close"):
                part.close()


#: Exit status when another controller holds the house (refused at start, or taken over while running).
EXIT_LEASE_HELD = 2


def run(settings: OnoffSettings) -> int:
    """Takes the controller lease, ticks at once and then every tick_s (simulated) seconds on the monotonic
    clock until SIGTERM/SIGINT, then hands the house back (while it holds the lease) and releases the lease.

    Returns the exit status: 0 after a stop, EXIT_LEASE_HELD when another controller holds the house
    (nothing driven, nothing handed back), 1 when the API refuses this loop (say, a wrong service token).
    """
    loop = ControlLoop.from_settings(settings)
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("Stopping on %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    interval_s = loop.clock.wall_seconds(settings.tick_s)
    heartbeat = Heartbeat(settings.heartbeat_path, interval_s)
    lease = ControllerLease(loop.api, settings.lease_ttl)
    try:
        heartbeat.beat()  # a loop that is still waiting for the API is not hung
        status = _take_lease(lease, stop, interval_s, heartbeat)
        if status is not None:
            return status
        log.info("Control loop started as %s: strategy %s, a tick every %g s, API %s, boiler %s", lease.holder,
                 settings.strategy, settings.tick_s, settings.api_url, settings.nefit_url or "not driven")
        failures = 0

        def one_tick() -> bool:
            nonlocal failures
            try:
                lease.take(ticked=True)  # the renewal is the heartbeat the API shows
            except LeaseHeld as exc:
                lease.lost = True
                log.error("Another controller took the house over (%s); this loop stops driving valves and "
                          "boiler and leaves them to it", exc)
                return False
            except ApiUnavailable as exc:
                # The tick sees the API down too and hands back after api_down_ticks; a lease that lapses
                # meanwhile is taken again by this holder when the API is back, unless another took it.
                log.debug("Could not renew the controller lease (%s)", exc)
            except ApiRejected as exc:
                log.error("The API refused to renew the controller lease (%s); ticking on", exc)
            try:
                loop.tick()
                failures = 0
            except Exception:  # a bug must not stop the heating: say so, try again, hand back if it persists
                failures += 1
                log.exception("The control tick failed (%d in a row); the next tick tries again", failures)
                if failures == settings.api_down_ticks:
                    try:
                        loop.hand_back("the control tick keeps failing")
                    except Exception:
                        log.exception("Handing the house back failed too")
            heartbeat.beat()
            return True

        run_every(interval_s, one_tick, stop)
        if lease.lost:
            return EXIT_LEASE_HELD
        _hand_back_and_release(loop, lease)
        return 0
    finally:
        loop.close()


def _take_lease(lease: ControllerLease, stop: threading.Event, interval_s: float,
                heartbeat: Heartbeat) -> int | None:
    """Waits until this loop holds the lease (None), or says why it must not run (an exit status)."""
    while not stop.is_set():
        try:
            lease.take()
            return None
        except LeaseHeld as exc:
            if not holder_is_dead_here(exc.holder):
                log.error("Another controller holds the house: %s, until %s. This one does not start; stop "
                          "that one first (two loops would undo each other's commands).", exc.holder,
                          exc.expires_at)
                return EXIT_LEASE_HELD
            log.warning("The lease is held by %s, a loop of this host that no longer runs; waiting until it "
                        "runs out at %s", exc.holder, exc.expires_at)
        except ApiUnavailable as exc:
            log.warning("Cannot take the controller lease, the API does not answer (%s); trying again in %g s",
                        exc, interval_s)
        except ApiRejected as exc:
            log.error("The API refuses this loop the controller lease (%s); check HEATING_SERVICE_TOKEN", exc)
            return 1
        heartbeat.beat()
        stop.wait(interval_s)
    return 0


def _hand_back_and_release(loop: ControlLoop, lease: ControllerLease) -> None:
    """On stop: hand the house back unless another controller holds it now, then give the lease up."""
    try:
        lease.take()
    except LeaseHeld as exc:
        log.warning("Stopping without handing back: %s holds the house now", exc.holder)
        return
    except ApiError as exc:
        # Unknown is not "taken": a loop that cannot see the rooms must not leave valves in its last
        # setting, so it hands back as it did before there were leases.
        log.info("Could not confirm the controller lease before handing back (%s)", exc)
    log.info("Stopping: handing valves and boiler back to their own programs")
    try:
        loop.hand_back("the control loop stopped")
    finally:
        try:
            lease.release()
            log.info("Released the controller lease")
        except ApiError as exc:
            log.warning("Could not release the controller lease (%s); it runs out by itself", exc)
