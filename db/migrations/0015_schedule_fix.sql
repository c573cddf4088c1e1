-- A wall-clock time that occurs twice takes effect at its first occurrence,
-- also where clocks go back by more than an hour (Antarctica/Troll goes from
-- +02 to +00). 0011 recognised a repeated time only by looking 30 and 60
-- minutes back, so in the second hour of a two-hour repeat it took PostgreSQL's
-- pick, the second occurrence. tests/reporting/test_schedule_sql_matches_python.py
-- found it against common/schedule.py, which stays the reference.
--
-- Now: every offset the zone has within a day of the time is tried; the
-- earliest instant whose wall clock reads p_wall is the first occurrence. When
-- none does, p_wall is inside a gap and the first instant whose wall clock
-- reads p_wall or later is the moment the clocks jump; it lies between the
-- two candidates, so only that stretch is searched (clocks change on whole
-- minutes).

CREATE OR REPLACE FUNCTION reporting.wall_to_instant(p_wall timestamp, p_tz text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $fn$
    WITH offsets AS (
        SELECT DISTINCT (probe AT TIME ZONE p_tz) - (probe AT TIME ZONE 'UTC') AS utc_offset
        FROM unnest(ARRAY[interval '-1 day', interval '0', interval '1 day']) AS shift,
             LATERAL (SELECT (p_wall AT TIME ZONE p_tz) + shift AS probe) AS p
    ),
    candidates AS (
        SELECT (p_wall - utc_offset) AT TIME ZONE 'UTC' AS instant FROM offsets
    )
    SELECT coalesce(
        (SELECT min(instant) FROM candidates WHERE (instant AT TIME ZONE p_tz) = p_wall),
        (SELECT min(x)
         FROM (SELECT min(instant) AS low, max(instant) AS high FROM candidates) AS bounds,
              generate_series(date_trunc('minute', bounds.low), bounds.high, interval '1 minute') AS x
         WHERE (x AT TIME ZONE p_tz) >= p_wall))
$fn$;
COMMENT ON FUNCTION reporting.wall_to_instant(timestamp, text) IS
    'The instant a local wall-clock time takes effect: the first valid instant in a DST gap, the first occurrence in a repeated hour.';
