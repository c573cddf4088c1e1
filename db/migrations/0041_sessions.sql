-- Sessions of the page, kept on the server so that each can be ended: the
-- cookie carries only a random token, this table its SHA-256. A session ends
-- at logout, when revoked from another device, after IDLE without use, after
-- its absolute lifetime, or when the household password changes
-- (password_tag is an HMAC of the password under the API's secret key).
CREATE TABLE sessions (
    id            bigserial PRIMARY KEY,
    token_sha256  bytea NOT NULL UNIQUE,
    password_tag  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    user_agent    text,
    client        text
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed logins per client, for the back-off: after a few free tries each
-- further failure blocks that client for twice as long as the one before.
CREATE TABLE login_failures (
    client         text PRIMARY KEY,
    failures       integer NOT NULL,
    last_failure   timestamptz NOT NULL,
    blocked_until  timestamptz
);

-- Neither is Grafana's business (0002 grants it every table by default).
REVOKE ALL ON sessions, login_failures FROM heating_grafana;
