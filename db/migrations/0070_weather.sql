-- The weather the control loop uses (Open-Meteo's forecast), as it last saw
-- it: the outdoor temperature now and the hours ahead, for the page's
-- overview. One row per observation; only the newest is read.
CREATE TABLE weather (
    time            timestamptz PRIMARY KEY,
    outdoor_temp_c  real,
    -- [{"time": ISO, "temperature_c": float | null}, ...], hourly, at most 48 hours ahead.
    forecast        jsonb NOT NULL DEFAULT '[]'::jsonb
);
