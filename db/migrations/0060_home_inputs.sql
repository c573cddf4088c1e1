-- Inputs from the home: window and door contacts, who is home, an outdoor thermometer.
-- Each holds what a sensor reported, with when it reported it.

-- The latest report of each contact of a room (a room may have several windows).
CREATE TABLE room_contacts (
    room_id     integer NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    is_open     boolean NOT NULL,
    time        timestamptz NOT NULL,
    source      text NOT NULL DEFAULT 'api' CHECK (length(source) BETWEEN 1 AND 40),
    PRIMARY KEY (room_id, name)
);

-- The latest presence report of each person (or phone) of the household.
CREATE TABLE presence (
    person      text PRIMARY KEY CHECK (length(btrim(person)) BETWEEN 1 AND 60),
    is_home     boolean NOT NULL,
    time        timestamptz NOT NULL,
    source      text NOT NULL DEFAULT 'api' CHECK (length(source) BETWEEN 1 AND 40)
);

-- Readings of an outdoor thermometer: a weather source of the house's own.
CREATE TABLE outdoor_readings (
    time           timestamptz PRIMARY KEY,
    temperature_c  double precision NOT NULL CHECK (temperature_c BETWEEN -60 AND 60),
    source         text NOT NULL DEFAULT 'api' CHECK (length(source) BETWEEN 1 AND 40)
);
