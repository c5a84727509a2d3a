-- Up Migration
-- The three roles of the pipeline. Created without LOGIN: the environment gives each one a password
-- (`sales-pipeline migrate` sets it from SALES_APP_PASSWORD, SALES_READER_PASSWORD, SALES_CDC_PASSWORD,
-- or from the native stack's credentials), so no secret is ever part of a migration.
--   sales_app     the workers: read and write the pipeline's tables, nothing else
--   sales_reader  reporting: read-only
--   sales_cdc     Debezium: REPLICATION, SELECT on the captured tables, writes its heartbeat row only
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sales_app') THEN
    CREATE ROLE sales_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sales_reader') THEN
    CREATE ROLE sales_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sales_cdc') THEN
    CREATE ROLE sales_cdc NOLOGIN REPLICATION;
  END IF;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO sales_app, sales_reader, sales_cdc', current_database());
  EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Down Migration
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM sales_app, sales_reader, sales_cdc', current_database());
END
$$;
