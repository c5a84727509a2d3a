#!/bin/sh
# Creates (or updates) the role sales_monitor that postgres-exporter logs in as, then exits.
# Run by the `monitor-role` one-shot of docker-compose.yml, after `migrate` (which creates
# rejected_rows), as the postgres superuser; the migrations themselves are left alone.
#
# Least privilege: the built-in role pg_monitor (read the statistics views and settings, execute the
# monitoring functions), CONNECT on the database, and SELECT on the one column the custom queries
# read (rejected_rows.stage). No table data otherwise, no writes: every transaction is read-only.
# The password comes from SALES_MONITOR_PASSWORD; it is passed to psql as a variable (never part of
# this file) and is only ever sent to the server inside ALTER ROLE.
#
# Idempotent: runs on every `docker compose up`.
set -eu

log() { printf '%s monitor-role: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

: "${SALES_MONITOR_PASSWORD:?SALES_MONITOR_PASSWORD is not set}"
if [ "${#SALES_MONITOR_PASSWORD}" -lt 12 ]; then
  log 'ERROR: SALES_MONITOR_PASSWORD must be at least 12 characters'
  exit 1
fi

psql -X -q -v ON_ERROR_STOP=1 -v monitor_password="$SALES_MONITOR_PASSWORD" <<'SQL'
SET client_min_messages = warning;
SELECT 'CREATE ROLE sales_monitor'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sales_monitor') \gexec
ALTER ROLE sales_monitor WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION
  NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD :'monitor_password';
ALTER ROLE sales_monitor SET default_transaction_read_only = on;
GRANT pg_monitor TO sales_monitor;
GRANT CONNECT ON DATABASE :"DBNAME" TO sales_monitor;
GRANT USAGE ON SCHEMA public TO sales_monitor;
GRANT SELECT (stage) ON public.rejected_rows TO sales_monitor;
SQL

log 'role sales_monitor is ready (pg_monitor, SELECT on rejected_rows.stage)'
