"""The simulated house running live, with every device surface on its own port.

- HTTP (``http_port``): ``GET /adverts`` streams the thermometers' advertisements
  as newline-delimited JSON (long-lived); ``GET /health``; ``GET /_sim/state``
  (the house's true temperatures, boiler and gas, for people and tests);
  ``POST /_sim/fail`` ``{"count": n}`` makes the next n boiler requests fail;
  ``POST /_sim/faults`` breaks or restores one device (``apply_fault``), and
  ``/_sim/state`` lists what is broken under ``faults``.
- One valve bridge per ``[bridges.*]`` of the house file (the bridge contract).
- The boiler as nefit-easy-http-server (``nefit_port``).
- The P1 meter: DSMR 5 telegrams on a TCP port (``p1_port``).

Time comes from ``common.clock.Clock``: real time, or accelerated with the
HEATING_CLOCK_* settings every service shares.
"""
from __future__ import annotations

import collections
import json
import logging
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common.clock import Clock
from protocols import eq3
from simulator.adverts import Advertiser
from simulator.bridge_server import SimulatedBridgeServer
from simulator.house import House
from simulator.nefit_server import NefitServer
from simulator.p1_server import MeterValues, P1Server, gas_boundary
from simulator.simhouse import SimulatedHouse

log = logging.getLogger("simulator")

#: Simulated seconds per physics step of the live house.
STEP_S = 30.0
#: Simulated seconds per step of the warm-up before the live run starts.
WARMUP_STEP_S = 120.0
#: How often (wall seconds) the live loop catches up with the clock and sends adverts.
POLL_WALL_S = 0.2
#: At most this many advertisements per device per wall second, however fast the clock runs.
MAX_ADVERTS_PER_WALL_S = 2.0


class AdvertHub:
    """The radio: every advertisement once, in order; each listener reads from its own position."""

    def __init__(self, size: int = 5000):
        self._items: collections.deque = collections.deque(maxlen=size)
        self._seq = 0
        self._cond = threading.Condition()

    def publish(self, line: bytes) -> None:
        with self._cond:
            self._seq += 1
            self._items.append((self._seq, line))
            self._cond.notify_all()

    def read_after(self, seq: int, timeout_s: float) -> tuple[int, list[bytes]]:
        with self._cond:
            if self._seq <= seq:
                self._cond.wait(timeout_s)
            lines = [line for n, line in self._items if n > seq]
            return self._seq, lines

    @property
    def seq(self) -> int:
        with self._cond:
            return self._seq


class FaultRequestError(Exception):
    """A ``/_sim/faults`` request that changes nothing: its HTTP status, error code and message."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


#: The device kinds ``POST /_sim/faults`` knows, each handled by ``LiveHouse._<kind>_fault``.
FAULT_KINDS = ("valve", "bridge", "thermometer", "boiler", "adapter")


def _only_keys(body: dict, allowed: set[str], prefix: str = "") -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise FaultRequestError(400, "bad_request", f"unknown key(s) {', '.join(prefix + k for k in unknown)}; "
                                f"expected {', '.join(prefix + k for k in sorted(allowed))}")


def _flag(body: dict, key: str, prefix: str = "") -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise FaultRequestError(400, "bad_request", f"{prefix}{key}: true or false")
    return value


def _not_found(kind: str, ident: str) -> FaultRequestError:
    return FaultRequestError(404, "not_found", f"the simulated house has no {kind} {ident!r}")


class LiveHouse:
    """Runs the house against ``clock`` and serves its devices; ``start()``, ``stop()``."""

    def __init__(self, house: House, clock: Clock, *, host: str = "127.0.0.1", http_port: int = 8090,
                 nefit_port: int = 3000, p1_port: int = 2323, bridge_ports: dict[str, int] | None = None,
                 log_every_s: float = 3600.0, warmup_days: float = 2.0, bluez_socket: str | None = None,
                 bluez_bridges: frozenset[str] = frozenset(), bridge_token: str):
        self.house = house
        self.clock = clock
        # The house has lived before the demo starts: its walls and rooms hold the warmth of
        # the last days' heating, not a uniform guess.
        self.sim = SimulatedHouse(house, clock.now() - timedelta(days=warmup_days))
        self._advance_until(clock.now(), WARMUP_STEP_S)
        self.advertisers = [Advertiser(r.thermometer.mac, r.thermometer.format, r.thermometer.name or "LYWSD03MMC",
                                       r.thermometer.bind_key, rssi_dbm=-60 - 3 * i)
                            for i, r in enumerate(house.rooms)]
        self.hub = AdvertHub()
        #: Thermometers (MAC) whose advertisements nobody hears, set through ``apply_fault``.
        self.silent_thermometers: frozenset[str] = frozenset()
        self._gas_reading = (gas_boundary(self.sim.now), self.sim.boiler.gas_m3)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.log_every_s = log_every_s
        self._next_log = self.sim.now
        self.bridges: dict[str, SimulatedBridgeServer] = {}
        #: BlueZ on a private bus (simulator.bluez): the thermometers' advertisements, and the valves of
        #: ``bluez_bridges`` (the Pi's range), which the product's own Pi bridge drives over it.
        self.bus = self.bluez = None
        unknown = set(bluez_bridges) - set(house.bridges)
        if unknown:
            raise ValueError(f"--bluez-bridge {', '.join(sorted(unknown))}: the house has no such bridge")
        if bluez_socket is not None:
            from simulator.bluez import PrivateBus, SimulatedBlueZ

            self.bus = PrivateBus(bluez_socket)
            self.bluez = SimulatedBlueZ(self.bus.address, {v.mac: self.sim.valves[v.mac] for _, v in house.valves
                                                           if v.bridge in bluez_bridges}, clock.now)
        for name, bridge in house.bridges.items():
            if self.bluez is not None and name in bluez_bridges:
                continue
            valves = {v.mac: self.sim.valves[v.mac] for _, v in house.valves if v.bridge == name}
            port = (bridge_ports or {}).get(name, bridge.port)
            self.bridges[name] = SimulatedBridgeServer(valves, host=host, port=port, now=clock.now, zone=house.zone,
                                                       central=name, token=bridge_token)
        self.nefit = NefitServer(self.sim.boiler, host, nefit_port)
        self.p1 = P1Server(self.meter_values, host, p1_port)
        self.http = ThreadingHTTPServer((host, http_port), self._handler())
        self.http.daemon_threads = True

    # -- the house's own loop ------------------------------------------------------------

    def _advance_until(self, target, step_s: float) -> None:
        sim = self.sim
        while sim.now + timedelta(seconds=step_s) <= target:
            sim.advance(step_s, sim.inputs_at(sim.now + timedelta(seconds=step_s / 2)))

    def catch_up(self) -> None:
        """Advance the physics to the clock's now and publish due advertisements."""
        target = self.clock.now()
        sim = self.sim
        while sim.now + timedelta(seconds=STEP_S) <= target:
            sim.advance(STEP_S, sim.inputs_at(sim.now + timedelta(seconds=STEP_S / 2)))
            boundary = gas_boundary(sim.now)
            if boundary > self._gas_reading[0]:
                self._gas_reading = (boundary, sim.boiler.gas_m3)
            if sim.now >= self._next_log:
                self._log_summary()
                self._next_log = sim.now + timedelta(seconds=self.log_every_s)
        min_interval = self.clock.speed / MAX_ADVERTS_PER_WALL_S
        with sim.lock:
            air = sim.state.air_c.copy()
            humidity = sim.humidity_pct.copy()
        for i, advertiser in enumerate(self.advertisers):
            advert = advertiser.poll(target, float(air[i]), float(humidity[i]), min_interval)
            # A silent thermometer keeps measuring (its clock and readings go on); only the radio is quiet.
            if advert is not None and advertiser.mac not in self.silent_thermometers:
                line = (json.dumps(advert.as_json()) + "\n").encode()
                self.hub.publish(line)
                if self.bluez is not None:
                    self.bluez.advertise_line(line)

    def _log_summary(self) -> None:
        sim = self.sim
        rooms = ", ".join(f"{r.name} {t:.1f} °C" for r, t in zip(self.house.rooms, sim.state.air_c))
        boiler = sim.boiler
        log.info("house at %s: %s; boiler %s (%s mode, setpoint %.1f °C), gas meter %.3f m³",
                 sim.now.astimezone(self.house.zone).strftime("%a %H:%M"), rooms, boiler.indicator,
                 boiler.user_mode, boiler.setpoint_c(), boiler.gas_m3)

    def meter_values(self) -> MeterValues:
        sim = self.sim
        now = self.clock.now()
        with sim.lock:
            t1, t2 = sim.electricity_kwh
            power = sim.power_kw
        local = now.astimezone(self.house.zone)
        tariff = 1 if local.weekday() >= 5 or local.hour < 7 or local.hour >= 23 else 2
        gas_time, gas_m3 = self._gas_reading
        return MeterValues(time=now, delivered_t1_kwh=t1, delivered_t2_kwh=t2, tariff=tariff, power_kw=power,
                           gas_time=gas_time, gas_m3=gas_m3, gas_meter_id=self.house.boiler.meter_id)

    def state(self) -> dict:
        """The house's truth, for people and checks: what the devices really do, not what anyone
        recorded. ``valves`` (opening by MAC) is kept as it was; ``valve_states`` adds each
        valve's mode, target and away end; rooms carry their schedule's target now."""
        sim = self.sim
        with sim.lock:
            now = sim.now
            week_minute = sim.boiler.week_minute
            valve_states = {}
            for mac, valve in sim.valves.items():
                status = valve.status(now)
                valve_states[mac] = {
                    "valve_pct": status.valve_pct, "mode": "away" if status.away else status.mode,
                    "target_c": status.target_temp_c,
                    "away_until": status.away_until.isoformat(timespec="minutes") if status.away_until else None,
                    "firmware": valve.firmware, "window_open": status.window_open,
                    "low_battery": status.low_battery, "version": valve.version,
                    # What the valve's display shows while pairing; null when its firmware needs none.
                    "pin": valve.pin if valve.needs_pin else None, "bonded_with": sorted(valve.bonds)}
            boiler = sim.boiler
            return {
                "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "rooms": [{"key": r.key, "name": r.name, "air_c": round(float(a), 3),
                           "thermometer": r.thermometer.mac,
                           "target_c": float(schedule.table[week_minute]),
                           "valves": [v.mac for v in r.valves]}
                          for r, a, schedule in zip(self.house.rooms, sim.state.air_c, sim.schedules)],
                "valves": {mac: v.valve_pct for mac, v in sim.valves.items()},
                "valve_states": valve_states,
                "boiler": {"user_mode": boiler.user_mode, "setpoint_c": boiler.setpoint_c(),
                           "indicator": boiler.indicator, "demand": boiler.demand,
                           "loop_c": round(sim.state.loop_c, 2),
                           "override": boiler.override_on and boiler.user_mode == "clock",
                           "program_setpoint_c": boiler.program_setpoint_c(),
                           "in_house_c": round(boiler.in_house_temp_c, 2)},
                "gas_m3": round(sim.boiler.gas_m3, 3),
                "energy": sim.energy_balance(),
                "faults": self.faults(),
                **({"bluez": self.bluez.state()} if self.bluez is not None else {}),
            }

    # -- faults on demand ------------------------------------------------------------------

    def faults(self) -> dict:
        """What is broken now, by device kind (the shape ``POST /_sim/faults`` sets)."""
        return {
            "valves_unreachable": sorted(mac for mac, v in self.sim.valves.items() if v.unreachable),
            "bridges_unreachable": sorted(name for name, b in self.bridges.items() if not b.powered),
            "thermometers_silent": sorted(self.silent_thermometers),
            "boiler_unreachable": self.nefit.unreachable,
            **({"adapter": {"stuck": self.bluez.stuck, **self.bluez.pending_faults}} if self.bluez is not None else {}),
        }

    def apply_fault(self, body) -> dict:
        """Break or restore one device as ``body`` says (see docs/simulator.md, "Faults on demand").

        Raises FaultRequestError (400: the body is wrong; 404: no such device; 409: a locked valve's
        wheel) before changing anything.
        """
        if not isinstance(body, dict):
            raise FaultRequestError(400, "bad_request", "the body must be a JSON object")
        kinds = [kind for kind in FAULT_KINDS if kind in body]
        if len(kinds) != 1:
            raise FaultRequestError(400, "bad_request",
                                    f"name exactly one device: {', '.join(FAULT_KINDS)}")
        kind = kinds[0]
        if kind not in ("boiler", "adapter") and (not isinstance(body[kind], str) or not body[kind]):
            raise FaultRequestError(400, "bad_request", f"{kind}: a {'name' if kind == 'bridge' else 'MAC'} string")
        return getattr(self, f"_{kind}_fault")(body)

    def _adapter_fault(self, body: dict) -> dict:
        _only_keys(body, {"adapter"})
        if self.bluez is None:
            raise FaultRequestError(409, "no_adapter", "the simulated house runs without BlueZ (run --bluez-socket)")
        setting = body["adapter"]
        counts = ("connect_failures", "in_progress", "drop_mid_command")
        if setting == "stuck":
            self.bluez.call(self.bluez.set_stuck)
            log.info("Bluetooth adapter: stuck (fault on demand)")
        elif setting == "ok":
            self.bluez.call(self.bluez.clear_faults)
            log.info("Bluetooth adapter: every fault cleared")
        elif isinstance(setting, dict):
            _only_keys(setting, set(counts), "adapter.")
            for key, value in setting.items():
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                    raise FaultRequestError(400, "bad_request", f"adapter.{key}: a count from 0 to 100")
            self.bluez.call(lambda: self.bluez.add_faults(**setting))
            log.info("Bluetooth adapter: next %s (fault on demand)", setting)
        else:
            raise FaultRequestError(400, "bad_request", 'adapter: "stuck", "ok", or an object of counts '
                                    f"({', '.join(counts)})")
        return {"adapter": setting, "faults": self.faults()}

    def _boiler_fault(self, body: dict) -> dict:
        _only_keys(body, {"boiler"})
        setting = body["boiler"]
        if not isinstance(setting, dict):
            raise FaultRequestError(400, "bad_request", 'boiler: an object, {"unreachable": true|false}')
        _only_keys(setting, {"unreachable"}, "boiler.")
        unreachable = _flag(setting, "unreachable", "boiler.")
        self.nefit.set_unreachable(unreachable)
        log.info("boiler: %s (fault on demand)", "every request fails" if unreachable else "answers again")
        return {"boiler": {"unreachable": unreachable}, "faults": self.faults()}

    def _valve_fault(self, body: dict) -> dict:
        actions = [k for k in ("unreachable", "turn_by_hand", "window_open", "low_battery") if k in body]
        if len(actions) != 1:
            raise FaultRequestError(400, "bad_request",
                                    "valve: give exactly one of unreachable, turn_by_hand, window_open, low_battery")
        _only_keys(body, {"valve", actions[0]})
        if actions[0] == "turn_by_hand":
            return self._turn_by_hand(body)
        if actions[0] == "window_open":
            return self._window_open(body)
        if actions[0] == "low_battery":
            low = _flag(body, "low_battery")
            valve = self._valve(body["valve"])
            valve.low_battery = low
            log.info("valve %s: battery %s (fault on demand)", valve.mac, "low" if low else "replaced")
            return {"valve": valve.mac, "low_battery": low, "faults": self.faults()}
        unreachable = _flag(body, "unreachable")
        valve = self._valve(body["valve"])
        valve.unreachable = unreachable
        log.info("valve %s: %s (fault on demand)", valve.mac, "unreachable" if unreachable else "reachable again")
        return {"valve": valve.mac, "unreachable": unreachable, "faults": self.faults()}

    def _turn_by_hand(self, body: dict) -> dict:
        temp_c = body["turn_by_hand"]
        try:
            eq3.temp_to_byte(temp_c)
        except eq3.Eq3EncodeError as exc:
            raise FaultRequestError(400, "bad_request", f"turn_by_hand: {exc}") from exc
        valve = self._valve(body["valve"])
        now = self.clock.now()
        if not valve.turn_by_hand(float(temp_c), now):
            raise FaultRequestError(409, "locked", f"valve {valve.mac} is locked: its wheel does nothing")
        status = valve.status(now)
        mode = "away" if status.away else status.mode
        log.info("valve %s turned by hand to %.1f °C (%s mode)", valve.mac, temp_c, mode)
        return {"valve": valve.mac, "turn_by_hand": float(temp_c), "mode": mode, "target_c": status.target_temp_c,
                "faults": self.faults()}

    def _window_open(self, body: dict) -> dict:
        if body["window_open"] is not True:
            raise FaultRequestError(400, "bad_request", "window_open: true (the valve ends it by itself)")
        valve = self._valve(body["valve"])
        now = self.clock.now()
        if not valve.open_window(now):
            raise FaultRequestError(409, "window_function_off",
                                    f"valve {valve.mac} has its window-open function off (duration 0)")
        status = valve.status(now)
        log.info("valve %s: window opened, holding %.1f °C for %d min", valve.mac, status.target_temp_c,
                 valve.window_open_minutes)
        return {"valve": valve.mac, "window_open": True, "target_c": status.target_temp_c,
                "until": valve.window_until.strftime("%Y-%m-%dT%H:%M:%SZ"), "faults": self.faults()}

    def _valve(self, mac: str):
        valve = self.sim.valves.get(mac.upper())
        if valve is None:
            raise _not_found("valve", mac)
        return valve

    def _bridge_fault(self, body: dict) -> dict:
        _only_keys(body, {"bridge", "unreachable"})
        unreachable = _flag(body, "unreachable")
        name = body["bridge"]
        bridge = self.bridges.get(name)
        if bridge is None:
            raise _not_found("bridge", name)
        bridge.set_powered(not unreachable)
        log.info("bridge %s: %s (fault on demand)", name, "powered off" if unreachable else "powered on")
        return {"bridge": name, "unreachable": unreachable, "faults": self.faults()}

    def _thermometer_fault(self, body: dict) -> dict:
        _only_keys(body, {"thermometer", "silent"})
        silent = _flag(body, "silent")
        mac = body["thermometer"].upper()
        if mac not in {a.mac for a in self.advertisers}:
            raise _not_found("thermometer", body["thermometer"])
        # A new set, not a change in place: the house loop reads it without a lock.
        self.silent_thermometers = self.silent_thermometers | {mac} if silent else self.silent_thermometers - {mac}
        log.info("thermometer %s: %s (fault on demand)", mac, "silent" if silent else "advertising again")
        return {"thermometer": mac, "silent": silent, "faults": self.faults()}

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception:  # the house must keep running for the demo; say what broke
                log.exception("simulated house: a step failed; trying again in a second")
                self._stop.wait(1.0)
            self._stop.wait(POLL_WALL_S)

    # -- the control/advert HTTP surface -------------------------------------------------

    def _handler(self):
        live = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, fmt, *args):
                log.debug("http %s", fmt % args)

            def _json(self, code: int, value) -> None:
                body = json.dumps(value).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/adverts":
                    return self._stream()
                if path == "/health":
                    return self._json(200, {"ok": True, "time": live.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                                            "speed": live.clock.speed})
                if path == "/_sim/state":
                    return self._json(200, live.state())
                self._json(404, {"error": "not_found", "message": f"no {path} here"})

            def do_POST(self):
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._json(400, {"error": "bad_request", "message": "body is not JSON"})
                if path == "/_sim/faults":
                    try:
                        return self._json(200, live.apply_fault(body))
                    except FaultRequestError as exc:
                        return self._json(exc.status, {"error": exc.error, "message": exc.message})
                if path == "/_sim/fail":
                    count = body.get("count") if isinstance(body, dict) else None
                    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 1000:
                        return self._json(400, {"error": "bad_request", "message": "count: an integer 0..1000"})
                    live.nefit.fail_next(count)
                    log.info("boiler: the next %d requests will fail (test knob)", count)
                    return self._json(200, {"boiler_failures_pending": count})
                self._json(404, {"error": "not_found", "message": f"no {path} here"})

            def _stream(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                seq = live.hub.seq
                log.info("a listener connected to the advertisement stream")
                while not live._stop.is_set():
                    seq, lines = live.hub.read_after(seq, 1.0)
                    try:
                        if lines:
                            self.wfile.write(b"".join(lines))
                            self.wfile.flush()
                    except OSError:
                        log.info("a listener left the advertisement stream")
                        return

        return Handler

    @property
    def http_url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LiveHouse":
        if self.bluez is not None:
            self.bluez.start()
        for bridge in self.bridges.values():
            bridge.start()
        self.nefit.start()
        self.p1.start()
        for target, name in ((self.http.serve_forever, "sim-http"), (self._loop, "sim-house")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("simulated house %r running from %s at %gx: adverts %s/adverts, nefit %s, P1 tcp port %d, "
                 "bridges %s", self.house.name, self.sim.now.astimezone(self.house.zone).isoformat(timespec="minutes"),
                 self.clock.speed, self.http_url, self.nefit.url, self.p1.port,
                 ", ".join(f"{n} {b.url}" for n, b in self.bridges.items()))
        if self.bluez is not None:
            log.info("BlueZ (org.bluez) on %s, with the valves %s", self.bus.address,
                     ", ".join(self.bluez.valves) or "of no bridge")
        return self

    def stop(self) -> None:
        self._stop.set()
        self.http.shutdown()
        self.http.server_close()
        self.nefit.stop()
        self.p1.stop()
        for bridge in self.bridges.values():
            bridge.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.bluez is not None:
            self.bluez.stop()
            self.bus.stop()

    def run_forever(self) -> None:
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            log.info("stopping the simulated house")
        finally:
            self.stop()

