-- The token the control loop sends to each bridge (docs/bridge-api.md,
-- "Authentication"): set on the page's bridge setup, equal to the one the
-- bridge itself was given. NULL: not set yet; the loop then cannot command
-- that bridge's valves.
ALTER TABLE bridges ADD COLUMN token text CHECK (token IS NULL OR length(token) BETWEEN 16 AND 200);

-- Grafana reads the bridges' names, not their tokens.
REVOKE SELECT ON bridges FROM heating_grafana;
GRANT SELECT (id, name, kind, base_url, created_at) ON bridges TO heating_grafana;
