-- A read-only role for Grafana. Roles belong to the whole cluster, so it is
-- created only when missing; the migration runner gives it LOGIN and its
-- password from HEATING_GRAFANA_DB_PASSWORD when that is set.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'heating_grafana') THEN
        CREATE ROLE heating_grafana NOLOGIN;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS reporting;

GRANT USAGE ON SCHEMA public, reporting TO heating_grafana;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO heating_grafana;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO heating_grafana;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO heating_grafana;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO heating_grafana;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT EXECUTE ON FUNCTIONS TO heating_grafana;
-- The migration bookkeeping is not Grafana's business.
