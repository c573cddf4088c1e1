-- House health: what the control loop found when it called a device, the
-- problems that follow from it and from the database (a silent thermometer,
-- a low battery, a silent controller or meter), and the notifications sent
-- about them. Times are the API's clock (simulated in the demo).

-- The valve's own "battery low" flag, as the valve reported it with a state.
-- NULL: the valve did not say (or a record from before this migration).
ALTER TABLE valve_states ADD COLUMN low_battery boolean;
-- The latest flag of a valve is looked up every minute; without this a valve
-- that never reports it would be scanned through its whole history each time.
CREATE INDEX valve_states_low_battery_idx ON valve_states (valve_id, time DESC) WHERE low_battery IS NOT NULL;

-- The latest check of each device the loop calls: one row per device,
-- replaced on every check, so a year of minute ticks adds no rows.
-- device_id is NULL for the boiler (the house has one).
CREATE TABLE device_checks (
    kind         text NOT NULL CHECK (kind IN ('valve', 'bridge', 'boiler')),
    device_id    integer,
    time         timestamptz NOT NULL,
    ok           boolean NOT NULL,
    code         text,
    message      text,
    -- When the device last answered; kept through failed checks, so the
    -- page can say "last heard at".
    answered_at  timestamptz,
    CHECK ((kind = 'boiler') = (device_id IS NULL))
);
CREATE UNIQUE INDEX device_checks_device_key ON device_checks (kind, device_id) NULLS NOT DISTINCT;

-- Problems with a start and an end. subject_name is the name when the problem
-- was last evaluated, so the history still reads after a device is renamed
-- or removed. subject_id is NULL for house-wide subjects (the boiler, the
-- controller, a meter).
CREATE TABLE problems (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code               text NOT NULL CHECK (code IN (
                           'valve_unreachable', 'bridge_unreachable', 'boiler_unreachable',
                           'thermometer_stale', 'battery_low', 'controller_silent', 'meter_silent')),
    severity           text NOT NULL CHECK (severity IN ('error', 'warning')),
    subject_kind       text NOT NULL CHECK (subject_kind IN (
                           'valve', 'bridge', 'boiler', 'thermometer', 'controller',
                           'gas_meter', 'electricity_meter')),
    subject_id         integer,
    subject_name       text,
    opened_at          timestamptz NOT NULL,
    closed_at          timestamptz,
    message            text NOT NULL,
    -- When the household was told this problem opened, and that it closed
    -- (the notifier's memory: it survives a restart of the notifier).
    notified_open_at   timestamptz,
    notified_close_at  timestamptz,
    CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
-- At most one open problem per code and subject: two API workers and the
-- notifier evaluating at once cannot open the same problem twice.
CREATE UNIQUE INDEX problems_open_key ON problems (code, subject_kind, subject_id) NULLS NOT DISTINCT
    WHERE closed_at IS NULL;
CREATE INDEX problems_opened_idx ON problems (opened_at DESC);
CREATE INDEX problems_subject_idx ON problems (code, subject_kind, subject_id, id DESC);

-- Notifications waiting to be delivered, and to which of the household's
-- notification URLs each went (SHA-256 of the URL: the URLs hold secrets).
-- Written in the same transaction that decides a problem is to be told, so a
-- notifier that restarts still sends what it decided.
CREATE TABLE notifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id    bigint NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    event         text NOT NULL CHECK (event IN ('opened', 'resolved')),
    created_at    timestamptz NOT NULL,
    title         text NOT NULL,
    body          text NOT NULL,
    notify_type   text NOT NULL CHECK (notify_type IN ('info', 'success', 'warning', 'failure')),
    delivered_to  text[] NOT NULL DEFAULT '{}',
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    -- Delivered to every URL, or given up on.
    done_at       timestamptz
);
CREATE INDEX notifications_pending_idx ON notifications (id) WHERE done_at IS NULL;
