-- The domain schema. Temperatures in °C, durations in the unit named by the
-- column, every instant a timestamptz; wall-clock schedule times are local to
-- the home's time zone (HEATING_TZ).

CREATE TABLE rooms (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    sort_order      integer NOT NULL DEFAULT 0,
    default_temp_c  double precision NOT NULL DEFAULT 18.0 CHECK (default_temp_c BETWEEN 5 AND 30),
    frost_temp_c    double precision NOT NULL DEFAULT 7.0 CHECK (frost_temp_c BETWEEN 4.5 AND 15),
    hysteresis_k    double precision NOT NULL DEFAULT 0.3 CHECK (hysteresis_k BETWEEN 0 AND 3),
    -- Added to the thermometer's reading: corrects a thermometer that sits in
    -- a warm or cold spot of the room.
    offset_k        double precision NOT NULL DEFAULT 0 CHECK (offset_k BETWEEN -5 AND 5),
    smart_heat      boolean NOT NULL DEFAULT false,
    -- 'auto': the control loop drives this room's valves; 'manual': it leaves
    -- them alone (the valves' own thermostats or a person's hand rule).
    control         text NOT NULL DEFAULT 'auto' CHECK (control IN ('auto', 'manual')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rooms_name_key ON rooms (lower(name));

CREATE TABLE thermometers (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mac         macaddr NOT NULL UNIQUE,
    room_id     integer REFERENCES rooms (id) ON DELETE SET NULL,
    format      text NOT NULL DEFAULT 'auto'
                CHECK (format IN ('auto', 'atc1441', 'pvvx', 'bthome', 'mibeacon')),
    bind_key    text CHECK (bind_key ~ '^[0-9a-f]{32}$'),
    name        text CHECK (name IS NULL OR length(name) <= 60),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX thermometers_room_idx ON thermometers (room_id);

-- Readings are keyed by the thermometer's MAC, not its row id, and carry the
-- room the thermometer was in when it was heard: removing or moving a
-- thermometer never loses or rewrites a room's history.
CREATE TABLE readings (
    mac            macaddr NOT NULL,
    time           timestamptz NOT NULL,
    room_id        integer REFERENCES rooms (id) ON DELETE SET NULL,
    temperature_c  double precision CHECK (temperature_c BETWEEN -40 AND 85),
    humidity_pct   double precision CHECK (humidity_pct BETWEEN 0 AND 100),
    battery_pct    smallint CHECK (battery_pct BETWEEN 0 AND 100),
    voltage_v      double precision CHECK (voltage_v BETWEEN 0 AND 10),
    rssi_dbm       smallint CHECK (rssi_dbm BETWEEN -127 AND 20),
    received_at    timestamptz NOT NULL DEFAULT now(),
    -- The primary key makes replays from a reader's spool idempotent and
    -- serves "latest reading of this thermometer" and per-sensor ranges.
    PRIMARY KEY (mac, time)
);
-- A year of minute data for a house is a few million rows: a BRIN index
-- keeps time-range scans (Grafana, history) cheap at a tiny size, and the
-- room index serves per-room history.
CREATE INDEX readings_time_brin ON readings USING brin (time);
CREATE INDEX readings_room_time_idx ON readings (room_id, time DESC);

-- Thermometers that were heard but are not configured, so the page can
-- offer to add them.
CREATE TABLE heard_devices (
    mac            macaddr PRIMARY KEY,
    format         text,
    name           text,
    last_seen      timestamptz NOT NULL,
    temperature_c  double precision,
    humidity_pct   double precision,
    battery_pct    smallint,
    rssi_dbm       smallint,
    encrypted      boolean NOT NULL DEFAULT false
);

CREATE TABLE bridges (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    -- 'pi' is the Pi's own Bluetooth (served by thermostat_reader), 'esp32'
    -- an ESP32 near valves out of the Pi's range, 'simulated' the demo house.
    kind        text NOT NULL DEFAULT 'esp32' CHECK (kind IN ('pi', 'esp32', 'simulated')),
    base_url    text NOT NULL CHECK (base_url ~ '^https?://[^/\s]+(/.*)?$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX bridges_name_key ON bridges (lower(name));

CREATE TABLE valves (
    id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mac               macaddr NOT NULL UNIQUE,
    room_id           integer NOT NULL REFERENCES rooms (id) ON DELETE RESTRICT,
    bridge_id         integer NOT NULL REFERENCES bridges (id) ON DELETE RESTRICT,
    name              text CHECK (name IS NULL OR length(name) <= 60),
    radiator_power_w  integer NOT NULL DEFAULT 1000 CHECK (radiator_power_w BETWEEN 50 AND 10000),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX valves_room_idx ON valves (room_id);
CREATE INDEX valves_bridge_idx ON valves (bridge_id);

-- Weekly switch points: from this local wall-clock time on this weekday
-- (0 = Monday) the room's target is temperature_c.
CREATE TABLE switch_points (
    room_id        integer NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    weekday        smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    at_time        time NOT NULL,
    temperature_c  double precision NOT NULL CHECK (temperature_c BETWEEN 5 AND 30),
    PRIMARY KEY (room_id, weekday, at_time)
);

-- At most one override per room. ends_at is resolved when the override is
-- set (an explicit time, or the next switch point at that moment).
CREATE TABLE overrides (
    room_id        integer PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    kind           text NOT NULL DEFAULT 'manual' CHECK (kind IN ('manual', 'boost')),
    temperature_c  double precision NOT NULL CHECK (temperature_c BETWEEN 5 AND 30),
    starts_at      timestamptz NOT NULL DEFAULT now(),
    ends_at        timestamptz NOT NULL,
    until_next_switch boolean NOT NULL DEFAULT false,
    CHECK (ends_at > starts_at)
);

-- The house mode is one row: home, away (until changed back) or holiday
-- (until a moment, after which the house is home again by itself).
CREATE TABLE house_mode (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    mode             text NOT NULL DEFAULT 'home' CHECK (mode IN ('home', 'away', 'holiday')),
    away_temp_c      double precision NOT NULL DEFAULT 15.0 CHECK (away_temp_c BETWEEN 5 AND 30),
    holiday_temp_c   double precision NOT NULL DEFAULT 12.0 CHECK (holiday_temp_c BETWEEN 5 AND 30),
    holiday_until    timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (mode <> 'holiday' OR holiday_until IS NOT NULL)
);
INSERT INTO house_mode DEFAULT VALUES;

-- Confirmed valve states: a row is written only when a valve reported a
-- state through its bridge. room_id and radiator_power_w are copied so that
-- history and gas attribution survive a valve being moved or removed.
CREATE TABLE valve_states (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    valve_id          integer REFERENCES valves (id) ON DELETE SET NULL,
    mac               macaddr NOT NULL,
    room_id           integer REFERENCES rooms (id) ON DELETE SET NULL,
    radiator_power_w  integer NOT NULL CHECK (radiator_power_w > 0),
    time              timestamptz NOT NULL,
    state             text NOT NULL CHECK (state IN ('open', 'closed', 'target', 'unknown')),
    target_c          double precision,
    valve_pct         smallint CHECK (valve_pct BETWEEN 0 AND 100),
    mode              text,
    reason            text
);
CREATE INDEX valve_states_valve_time_idx ON valve_states (valve_id, time DESC);
CREATE INDEX valve_states_room_time_idx ON valve_states (room_id, time);
CREATE INDEX valve_states_time_idx ON valve_states (time);

-- Confirmed boiler states: heat asked of the boiler (manual mode with a high
-- setpoint) or not, and what the boiler itself said it was doing.
CREATE TABLE boiler_states (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time            timestamptz NOT NULL,
    heat_demand     boolean NOT NULL,
    user_mode       text CHECK (user_mode IN ('manual', 'clock')),
    setpoint_c      double precision,
    indicator       text CHECK (indicator IN ('central heating', 'hot water', 'off')),
    reason          text
);
CREATE INDEX boiler_states_time_idx ON boiler_states (time);

-- Every control decision with its inputs and reason. room_id is NULL for
-- house-wide decisions (the boiler).
CREATE TABLE decisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time       timestamptz NOT NULL,
    room_id    integer REFERENCES rooms (id) ON DELETE SET NULL,
    strategy   text NOT NULL,
    inputs     jsonb NOT NULL DEFAULT '{}'::jsonb,
    outcome    text NOT NULL,
    reason     text NOT NULL
);
CREATE INDEX decisions_time_idx ON decisions (time);
CREATE INDEX decisions_room_time_idx ON decisions (room_id, time DESC);

-- Meter readings from the P1 port: cumulative counters. Gas carries the
-- meter's own timestamp (DSMR 4 meters report hourly), electricity the
-- telegram's.
CREATE TABLE gas_readings (
    time      timestamptz PRIMARY KEY,
    gas_m3    double precision NOT NULL CHECK (gas_m3 >= 0),
    meter_id  text,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE electricity_readings (
    time                 timestamptz PRIMARY KEY,
    delivered_t1_kwh     double precision,
    delivered_t2_kwh     double precision,
    returned_t1_kwh      double precision,
    returned_t2_kwh      double precision,
    power_delivered_kw   double precision,
    power_returned_kw    double precision,
    received_at          timestamptz NOT NULL DEFAULT now()
);

-- Household settings edited from the page (validated by the API); the
-- deployment settings (URLs, secrets, time zone) live in the environment.
CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
