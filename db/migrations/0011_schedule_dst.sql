-- Switch points placed on the time line the way the API places them
-- (controller_api/schedule.py): a wall-clock time inside the spring-forward
-- gap takes effect at the first valid instant (the moment the clocks jump),
-- and a wall-clock time that occurs twice in the autumn takes effect at its
-- first occurrence. PostgreSQL's own "AT TIME ZONE" shifts a gap time an
-- hour later and picks the second occurrence of an ambiguous one.

CREATE FUNCTION reporting.wall_to_instant(p_wall timestamp, p_tz text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE
        WHEN ((p_wall AT TIME ZONE p_tz) AT TIME ZONE p_tz) = p_wall
             -- ...and no earlier instant shows the same wall time (DST shifts
             -- are 30 or 60 minutes).
             AND (((p_wall AT TIME ZONE p_tz) - interval '30 minutes') AT TIME ZONE p_tz) < p_wall
             AND (((p_wall AT TIME ZONE p_tz) - interval '1 hour') AT TIME ZONE p_tz) < p_wall
        THEN p_wall AT TIME ZONE p_tz
        -- A gap or a repeated hour: the first instant whose wall clock reads
        -- p_wall or later (clocks change on whole minutes).
        ELSE (SELECT min(x) FROM generate_series((p_wall AT TIME ZONE p_tz) - interval '3 hours',
                                                 (p_wall AT TIME ZONE p_tz) + interval '3 hours',
                                                 interval '1 minute') AS x
              WHERE (x AT TIME ZONE p_tz) >= p_wall)
    END
$fn$;
COMMENT ON FUNCTION reporting.wall_to_instant(timestamp, text) IS
    'The instant a local wall-clock time takes effect: the first valid instant in a DST gap, the first occurrence in a repeated hour.';

CREATE OR REPLACE FUNCTION reporting.scheduled_targets(p_from timestamptz, p_to timestamptz, p_tz text DEFAULT NULL)
RETURNS TABLE (
    room_id        integer,
    "time"         timestamptz,
    temperature_c  double precision
)
LANGUAGE sql STABLE AS $fn$
    WITH zone AS (
        SELECT coalesce(p_tz, reporting.home_timezone()) AS tz
    ),
    days AS (
        -- A week before p_from, so the switch point in force at p_from is
        -- found even in a schedule with one switch point a week.
        SELECT d::date AS day
        FROM zone, generate_series((p_from AT TIME ZONE zone.tz)::date - 7,
                                   (p_to AT TIME ZONE zone.tz)::date, interval '1 day') AS d
    ),
    instants AS (
        -- Two switch points in one spring-forward gap share an instant: the
        -- later wall time is the one in force from then on.
        SELECT DISTINCT ON (sp.room_id, 2) sp.room_id,
               reporting.wall_to_instant(d.day + sp.at_time, zone.tz) AS time, sp.temperature_c
        FROM public.switch_points sp
        JOIN days d ON sp.weekday = (extract(isodow FROM d.day)::int - 1)
        CROSS JOIN zone
        ORDER BY sp.room_id, 2, d.day + sp.at_time DESC
    ),
    in_force AS (
        SELECT DISTINCT ON (i.room_id) i.room_id, p_from AS time, i.temperature_c
        FROM instants i WHERE i.time <= p_from
        ORDER BY i.room_id, i.time DESC
    ),
    line AS (
        SELECT * FROM in_force
        UNION ALL
        SELECT * FROM instants i WHERE i.time > p_from AND i.time < p_to
        UNION ALL
        SELECT r.id, p_from, r.default_temp_c
        FROM public.rooms r
        WHERE NOT EXISTS (SELECT FROM public.switch_points sp WHERE sp.room_id = r.id)
    )
    SELECT l.room_id, l.time, greatest(l.temperature_c, r.frost_temp_c)
    FROM (SELECT * FROM line
          UNION ALL
          -- The target still in force at p_to, so a chart's line reaches its end.
          (SELECT DISTINCT ON (line.room_id) line.room_id, p_to, line.temperature_c
           FROM line ORDER BY line.room_id, line.time DESC)) l
    JOIN public.rooms r ON r.id = l.room_id
    ORDER BY l.room_id, l.time
$fn$;
