-- The gas report's cost depends on the range asked for, not on the meter's
-- time stamps: local hours were marked over the whole span of the meter
-- intervals that touch the range, so one reading stamped decades ahead made
-- every report generate millions of marks. Only segments inside
-- [p_from, p_to) are returned, and splitting a segment at an hour mark
-- changes no interval's total weight, so marks outside the range are not
-- needed: the answers are the same.
CREATE OR REPLACE FUNCTION reporting.gas_attribution(p_from timestamptz, p_to timestamptz, p_tz text DEFAULT NULL)
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
           (CASE WHEN r.state = 'open' THEN r.radiator_power_w * 100
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
    FROM span, zone,
         generate_series(date_trunc('hour', greatest(span.a, p_from), 'UTC'), least(span.b, p_to),
                         interval '15 minutes') AS q
    WHERE q > span.a AND q < span.b AND q >= p_from AND q <= p_to
      AND date_part('minute', q AT TIME ZONE zone.tz) = 0
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
