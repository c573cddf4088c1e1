-- What each room's target was, and why, from the moment the control loop
-- used it: one row per change (the loop records a room's target when it or
-- its source differs from the last one it recorded). History draws targets
-- from here where they were recorded, and from the schedule only ahead of now
-- or before the first record.
CREATE TABLE target_history (
    room_id   integer NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    time      timestamptz NOT NULL,
    target_c  real NOT NULL,
    -- schedule, override, boost, away, holiday, frost, default (as GET /api/status's target_source)
    source    text NOT NULL,
    reason    text,
    PRIMARY KEY (room_id, time)
);
