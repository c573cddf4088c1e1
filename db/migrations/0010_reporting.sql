-- Reporting for Grafana and GET /api/gas: gas per room, hot water and gas
-- that cannot be attributed; the weekly-schedule target of a room over time.
--
-- Time zone: every function that buckets by local hour or day takes the zone
-- as an argument (p_tz, a name such as 'Europe/Amsterdam'). NULL means
-- reporting.home_timezone(): the settings key 'timezone' (a JSON string), else
-- the database server's own TimeZone. The API passes HEATING_TZ; the
-- dashboards pass their variable $tz, whose default query is
-- reporting.home_timezone().
--
-- Settings read here (table settings, JSON numbers; defaults in brackets):
--   gas_kwh_per_m3     energy per m³ of gas [9.769, Groningen gas, upper value]
--   gas_price_per_m3   money per m³ [1.45], in settings key 'currency' [EUR]
--   hot_water_power_w  what the boiler burns while heating tap water [24000]
--   boiler_min_power_w what it burns at its lowest modulation [5000]

CREATE FUNCTION reporting.setting_number(p_key text, p_default double precision)
RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT (s.value #>> '{}')::double precision
         FROM public.settings s
         WHERE s.key = p_key AND jsonb_typeof(s.value) = 'number'),
        p_default)
$$;
COMMENT ON FUNCTION reporting.setting_number(text, double precision) IS
    'A numeric household setting, or p_default when it is unset or not a number.';

CREATE FUNCTION reporting.home_timezone()
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT s.value #>> '{}'
         FROM public.settings s
         WHERE s.key = 'timezone' AND jsonb_typeof(s.value) = 'string'),
        current_setting('TimeZone'))
$$;
COMMENT ON FUNCTION reporting.home_timezone() IS
    'The home''s time zone: settings key timezone, else the server''s TimeZone.';

CREATE FUNCTION reporting.local_hour_start(p_at timestamptz, p_tz text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    -- Subtracting only minutes and seconds keeps this right on DST days: the
    -- local hour that occurs twice in autumn gives two different instants.
    SELECT p_at - ((p_at AT TIME ZONE p_tz) - date_trunc('hour', p_at AT TIME ZONE p_tz))
$$;

CREATE FUNCTION reporting.local_day_start(p_at timestamptz, p_tz text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT date_trunc('day', p_at AT TIME ZONE p_tz) AT TIME ZONE p_tz
$$;

-- How the gas of one meter interval (two consecutive gas_readings) is split.
--
-- The interval is cut into segments at every valve and boiler state change
-- and every local hour. Each segment makes claims, in watts of heat times
-- seconds:
--   tier 1, what the boiler was doing:
--     a room          Σ radiator_power_w × opening of its valves, while the
--                     boiler heated or its status is unknown (valve 'open':
--                     valve_pct, else 100 %; 'target': valve_pct, else
--                     unknown);
--     hot water       hot_water_power_w while the boiler said 'hot water'
--                     (combi boilers give tap water priority: no room gets
--                     heat then);
--     unattributed    boiler_min_power_w while the boiler heated with no
--                     radiator open.
--   tier 2, only when nothing in the interval made a tier-1 claim, by time:
--     hot water       while every valve was known closed and there is no
--                     boiler status (the hot-water pattern);
--     unattributed    otherwise (boiler off, or no valve state known).
-- The interval's gas is split over the claims of one tier in proportion to
-- their weights, in exact decimal arithmetic, so the parts of an interval add
-- up to what the meter counted (to about 1e-16 m³). Gas therefore lands in
-- the hours it was burnt in, also with a meter that reports only hourly.
--
-- The boiler heats when it says 'central heating', or when heat was asked of
-- it (heat_demand) and it did not say 'hot water': a status recorded just as
-- heat was asked often still reads 'off'.
--
-- A counter that went down (a new meter) counts as no gas for that interval.
-- Only segments inside [p_from, p_to) are returned; a meter interval that
-- straddles p_from or p_to contributes the part of its gas burnt inside.
CREATE FUNCTION reporting.gas_attribution(p_from timestamptz, p_to timestamptz, p_tz text DEFAULT NULL)
RETURNS TABLE (
    interval_start  timestamptz,
    interval_end    timestamptz,
    hour_start      timestamptz,
    category        text,
    room_id         integer,
    reason          text,
    gas_m3          numeric
)
LANGUAGE sql STABLE AS $fn$
WITH
zone AS (
    SELECT coalesce(p_tz, reporting.home_timezone()) AS tz
),
power AS (
    -- Valve levels are watts × percent, so these are scaled alike.
    SELECT (reporting.setting_number('hot_water_power_w', 24000) * 100)::numeric AS hot_water_level,
           (reporting.setting_number('boiler_min_power_w', 5000) * 100)::numeric AS idle_burn_level
),
meter AS (
    SELECT g.time, g.gas_m3::numeric AS gas_m3
    FROM public.gas_readings g
    WHERE g.time >= coalesce((SELECT max(x.time) FROM public.gas_readings x WHERE x.time <= p_from), p_from)
      AND g.time <= coalesce((SELECT min(x.time) FROM public.gas_readings x WHERE x.time >= p_to), p_to)
),
intervals AS (
    SELECT m.t0, m.t1, m.gas
    FROM (SELECT lag(meter.time) OVER w AS t0, meter.time AS t1,
                 greatest(meter.gas_m3 - lag(meter.gas_m3) OVER w, 0) AS gas
          FROM meter WINDOW w AS (ORDER BY meter.time)) m
    WHERE m.t0 IS NOT NULL AND m.t0 < p_to AND m.t1 > p_from
),
span AS (
    SELECT min(t0) AS a, max(t1) AS b FROM intervals
),
valve_rows AS (
    SELECT * FROM (
        SELECT DISTINCT ON (v.mac) v.mac, v.time, v.id, v.room_id, v.radiator_power_w, v.state, v.valve_pct
        FROM public.valve_states v, span
        WHERE v.time <= span.a
        ORDER BY v.mac, v.time DESC, v.id DESC) AS at_start
    UNION ALL
    SELECT v.mac, v.time, v.id, v.room_id, v.radiator_power_w, v.state, v.valve_pct
    FROM public.valve_states v, span
    WHERE v.time > span.a AND v.time < span.b
),
valve_levels AS (
    SELECT r.mac, r.id, greatest(r.time, span.a) AS time,
           coalesce(r.room_id, 0) AS room_key,
           (CASE WHEN r.state = 'open' THEN r.radiator_power_w * coalesce(r.valve_pct, 100)
                 WHEN r.state = 'target' THEN r.radiator_power_w * coalesce(r.valve_pct, 0)
                 ELSE 0 END)::bigint AS level,
           CASE WHEN r.state IN ('open', 'closed') OR (r.state = 'target' AND r.valve_pct IS NOT NULL)
                THEN 1 ELSE 0 END AS known
    FROM valve_rows r, span
),
valve_changes AS (
    SELECT l.time, l.room_key, l.level, l.known,
           lag(l.room_key) OVER w AS prev_room_key,
           coalesce(lag(l.level) OVER w, 0) AS prev_level,
           lag(l.known) OVER w AS prev_known
    FROM valve_levels l
    WINDOW w AS (PARTITION BY l.mac ORDER BY l.time, l.id)
),
room_steps AS (
    SELECT c.time, c.room_key, sum(c.delta) AS delta
    FROM (SELECT time, room_key, level AS delta FROM valve_changes
          UNION ALL
          SELECT time, prev_room_key, -prev_level FROM valve_changes WHERE prev_room_key IS NOT NULL) c
    GROUP BY c.time, c.room_key
),
count_steps AS (
    SELECT time,
           sum(known - coalesce(prev_known, 0)) AS d_known,
           sum((1 - known) - coalesce(1 - prev_known, 0)) AS d_unknown
    FROM valve_changes
    GROUP BY time
),
boiler_modes AS (
    SELECT DISTINCT ON (greatest(r.time, span.a))
           greatest(r.time, span.a) AS time,
           CASE WHEN r.indicator = 'hot water' THEN 'hot water'
                WHEN r.indicator = 'central heating' OR r.heat_demand THEN 'heating'
                WHEN r.indicator = 'off' THEN 'off'
                ELSE 'unknown' END AS mode
    FROM (SELECT * FROM (SELECT b.time, b.id, b.heat_demand, b.indicator
                         FROM public.boiler_states b, span WHERE b.time <= span.a
                         ORDER BY b.time DESC, b.id DESC LIMIT 1) AS at_start
          UNION ALL
          SELECT b.time, b.id, b.heat_demand, b.indicator
          FROM public.boiler_states b, span WHERE b.time > span.a AND b.time < span.b) r, span
    ORDER BY greatest(r.time, span.a), r.time DESC, r.id DESC
),
hour_marks AS (
    -- Every real zone's offset is a multiple of 15 minutes: local hours
    -- start on UTC quarter hours.
    SELECT q AS time
    FROM span, zone, generate_series(date_trunc('hour', span.a, 'UTC'), span.b, interval '15 minutes') AS q
    WHERE q > span.a AND q < span.b AND date_part('minute', q AT TIME ZONE zone.tz) = 0
),
points AS (
    SELECT DISTINCT p.time
    FROM (SELECT a AS time FROM span
          UNION ALL SELECT t0 FROM intervals
          UNION ALL SELECT time FROM room_steps
          UNION ALL SELECT time FROM boiler_modes
          UNION ALL SELECT time FROM hour_marks
          UNION ALL SELECT p_from
          UNION ALL SELECT p_to) p, span
    WHERE p.time >= span.a AND p.time < span.b
),
segments AS (
    SELECT pt.time AS seg_start,
           max(i.t0) OVER w AS t0,
           max(bm.time) OVER w AS boiler_time,
           coalesce(sum(cs.d_known) OVER w, 0) AS n_known,
           coalesce(sum(cs.d_unknown) OVER w, 0) AS n_unknown,
           lead(pt.time, 1, (SELECT b FROM span)) OVER w AS seg_end
    FROM points pt
    LEFT JOIN intervals i ON i.t0 = pt.time
    LEFT JOIN boiler_modes bm ON bm.time = pt.time
    LEFT JOIN count_steps cs ON cs.time = pt.time
    WINDOW w AS (ORDER BY pt.time)
),
room_levels AS (
    SELECT s.seg_start, k.room_key,
           sum(coalesce(st.delta, 0)) OVER (PARTITION BY k.room_key ORDER BY s.seg_start) AS level
    FROM segments s
    CROSS JOIN (SELECT DISTINCT room_key FROM room_steps WHERE room_key IS NOT NULL) k
    LEFT JOIN room_steps st ON st.time = s.seg_start AND st.room_key = k.room_key
),
segment_state AS (
    SELECT s.seg_start, s.t0, i.t1, i.gas, s.n_known, s.n_unknown,
           extract(epoch FROM s.seg_end - s.seg_start) AS duration_s,
           coalesce(bm.mode, 'unknown') AS mode,
           coalesce(rt.rooms_level, 0) AS rooms_level
    FROM segments s
    JOIN intervals i ON i.t0 = s.t0
    LEFT JOIN boiler_modes bm ON bm.time = s.boiler_time
    LEFT JOIN (SELECT rl.seg_start, sum(rl.level) AS rooms_level FROM room_levels rl
               WHERE rl.level > 0 GROUP BY rl.seg_start) rt ON rt.seg_start = s.seg_start
),
claims AS MATERIALIZED (
    SELECT ss.t0, ss.t1, ss.gas, ss.seg_start, 1 AS tier, 'room' AS category, rl.room_key,
           'radiator open' AS reason, rl.level * ss.duration_s AS weight
    FROM segment_state ss JOIN room_levels rl ON rl.seg_start = ss.seg_start
    WHERE rl.level > 0 AND ss.mode IN ('heating', 'unknown')
    UNION ALL
    SELECT ss.t0, ss.t1, ss.gas, ss.seg_start, 1, 'hot water', NULL, 'boiler heating tap water',
           power.hot_water_level * ss.duration_s
    FROM segment_state ss, power
    WHERE ss.mode = 'hot water'
    UNION ALL
    SELECT ss.t0, ss.t1, ss.gas, ss.seg_start, 1, 'unattributed', NULL, 'boiler heating with no radiator open',
           power.idle_burn_level * ss.duration_s
    FROM segment_state ss, power
    WHERE ss.mode = 'heating' AND ss.rooms_level = 0
    UNION ALL
    SELECT ss.t0, ss.t1, ss.gas, ss.seg_start, 2,
           CASE WHEN ss.mode = 'unknown' AND ss.rooms_level = 0 AND ss.n_known > 0 AND ss.n_unknown = 0
                THEN 'hot water' ELSE 'unattributed' END,
           NULL,
           CASE WHEN ss.mode = 'unknown' AND ss.rooms_level = 0 AND ss.n_known > 0 AND ss.n_unknown = 0
                     THEN 'no radiator open, no boiler status: hot-water pattern'
                WHEN ss.mode = 'off' AND ss.rooms_level > 0
                     THEN 'boiler reported off while radiators were open'
                WHEN ss.mode = 'off' THEN 'gas used while the boiler reported off'
                ELSE 'no valve state known' END,
           ss.duration_s
    FROM segment_state ss
),
weighed AS (
    SELECT c.*,
           coalesce(sum(c.weight) FILTER (WHERE c.tier = 1) OVER w, 0) AS tier1_weight,
           sum(c.weight) FILTER (WHERE c.tier = 2) OVER w AS tier2_weight
    FROM claims c
    WINDOW w AS (PARTITION BY c.t0)
)
SELECT c.t0, c.t1,
       reporting.local_hour_start(c.seg_start, zone.tz),
       c.category,
       nullif(c.room_key, 0),
       c.reason,
       sum(c.gas * c.weight / CASE WHEN c.tier = 1 THEN c.tier1_weight ELSE c.tier2_weight END)
FROM weighed c
CROSS JOIN zone
WHERE c.tier = CASE WHEN c.tier1_weight > 0 THEN 1 ELSE 2 END
  AND c.weight > 0
  AND c.gas > 0
  AND c.seg_start >= p_from AND c.seg_start < p_to
GROUP BY c.t0, c.t1, reporting.local_hour_start(c.seg_start, zone.tz), c.category, c.room_key, c.reason
$fn$;
COMMENT ON FUNCTION reporting.gas_attribution(timestamptz, timestamptz, text) IS
    'Gas of each meter interval split over rooms, hot water and unattributed, per local hour it was burnt in.';

-- Gas per local hour or day: one row per bucket and series (a room, 'Hot
-- water' or 'Unattributed'), with energy and cost from the settings. The
-- rows of a bucket add up to what the meter counted in it.
CREATE FUNCTION reporting.gas_usage(p_from timestamptz, p_to timestamptz,
                                    p_group text DEFAULT 'hour', p_tz text DEFAULT NULL)
RETURNS TABLE (
    bucket_start  timestamptz,
    category      text,
    room_id       integer,
    series        text,
    gas_m3        double precision,
    energy_kwh    double precision,
    cost          double precision
)
LANGUAGE plpgsql STABLE AS $fn$
#variable_conflict use_column
DECLARE
    zone text := coalesce(p_tz, reporting.home_timezone());
    kwh_per_m3 numeric := reporting.setting_number('gas_kwh_per_m3', 9.769)::numeric;
    price_per_m3 numeric := reporting.setting_number('gas_price_per_m3', 1.45)::numeric;
BEGIN
    IF p_group IS NULL OR p_group NOT IN ('hour', 'day') THEN
        RAISE EXCEPTION 'gas is grouped by ''hour'' or ''day'', not %', coalesce(quote_literal(p_group), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH parts AS (
        SELECT CASE WHEN p_group = 'hour' THEN a.hour_start
                    ELSE reporting.local_day_start(a.hour_start, zone) END AS bucket_start,
               a.category, a.room_id, sum(a.gas_m3) AS gas_m3
        FROM reporting.gas_attribution(p_from, p_to, zone) a
        GROUP BY 1, 2, 3
    )
    SELECT p.bucket_start, p.category, p.room_id,
           CASE p.category
               WHEN 'room' THEN coalesce(r.name, 'Removed room')
               WHEN 'hot water' THEN 'Hot water'
               ELSE 'Unattributed' END,
           p.gas_m3::double precision,
           (p.gas_m3 * kwh_per_m3)::double precision,
           (p.gas_m3 * price_per_m3)::double precision
    FROM parts p
    LEFT JOIN public.rooms r ON r.id = p.room_id
    ORDER BY p.bucket_start, p.category DESC, r.sort_order, p.room_id;
END
$fn$;
COMMENT ON FUNCTION reporting.gas_usage(timestamptz, timestamptz, text, text) IS
    'Gas, kWh and cost per local hour or day (p_group) and per room, hot water and unattributed.';

-- A room's target from its weekly schedule (or its default), never below its
-- frost temperature: one row per switch point in [p_from, p_to), the one in
-- force at p_from (at p_from) and the one in force at p_to (at p_to). Overrides and the away/holiday modes are not kept as
-- history, so they are not part of this line.
CREATE FUNCTION reporting.scheduled_targets(p_from timestamptz, p_to timestamptz, p_tz text DEFAULT NULL)
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
        SELECT sp.room_id, (d.day + sp.at_time) AT TIME ZONE zone.tz AS time, sp.temperature_c
        FROM public.switch_points sp
        JOIN days d ON sp.weekday = (extract(isodow FROM d.day)::int - 1)
        CROSS JOIN zone
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
COMMENT ON FUNCTION reporting.scheduled_targets(timestamptz, timestamptz, text) IS
    'Each room''s weekly-schedule target over time (no overrides or house modes), at least its frost temperature.';
