#!/bin/sh
# Registers the Debezium connector with Kafka Connect, then waits until the connector and all its
# tasks are RUNNING. Run by the `connector-init` one-shot of docker-compose.yml, once `migrate` has
# created the publication the connector reads (publication.autocreate.mode=disabled).
#
# POSIX sh, curl and grep only: the curlimages/curl image has no bash and no jq.
# Idempotent: PUT /connectors/<name>/config creates the connector or updates its config.
# Exits 0 when RUNNING; non-zero when Connect rejects the config, a task FAILED, or on timeout.
set -eu

CONNECT_URL="${CONNECT_URL:-http://connect:8083}"
CONNECTOR_NAME="${CONNECTOR_NAME:-sales-postgres-cdc}"
CONNECTOR_FILE="${CONNECTOR_FILE:-/connectors/${CONNECTOR_NAME}.json}"
TIMEOUT_SECONDS="${REGISTER_TIMEOUT_SECONDS:-180}"
PLUGIN_CLASS='io.debezium.connector.postgresql.PostgresConnector'
# A Connect with a login (docker-compose.secure.yml): a curl config file holding `user = "name:password"`,
# so that the password is on no command line. CONNECTOR_SETTINGS: a JSON object of settings added to the
# connector's file (no secret: its database TLS, say).
CURL_CONFIG_FILE="${CURL_CONFIG_FILE:-/dev/null}"
CONNECTOR_SETTINGS="${CONNECTOR_SETTINGS:-}"

log() { printf '%s connector-init: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() {
  log "ERROR: $*"
  exit 1
}

[ -r "$CONNECTOR_FILE" ] || fail "cannot read $CONNECTOR_FILE"
[ -r "$CURL_CONFIG_FILE" ] || fail "cannot read $CURL_CONFIG_FILE"
if [ -n "$CONNECTOR_SETTINGS" ]; then
  # The file ends with a line holding only `}`: the settings' members go before it.
  merged=$(mktemp)
  { sed '$d' "$CONNECTOR_FILE"; printf ',\n  %s\n}\n' "$(printf '%s' "$CONNECTOR_SETTINGS" | sed 's/^{//; s/}$//')"; } > "$merged"
  CONNECTOR_FILE=$merged
fi

deadline=$(($(date +%s) + TIMEOUT_SECONDS))
check_deadline() {
  [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${TIMEOUT_SECONDS}s: $1"
}

# 1. Connect answers and has loaded the Debezium PostgreSQL plugin.
log "waiting for $PLUGIN_CLASS at $CONNECT_URL"
until curl -fsS -K "$CURL_CONFIG_FILE" --max-time 5 "$CONNECT_URL/connector-plugins" 2>/dev/null | grep -qF "\"$PLUGIN_CLASS\""; do
  check_deadline "Connect did not list $PLUGIN_CLASS"
  sleep 2
done

# 2. PUT the config file byte for byte (--data-binary: no templating, no newline stripping).
#    Its ${env:...} placeholders are resolved inside Connect by its EnvVarConfigProvider.
#    409 (rebalance in progress), 5xx and connection errors are retried; other errors are final.
log "PUT $CONNECT_URL/connectors/$CONNECTOR_NAME/config from $CONNECTOR_FILE"
while :; do
  if out=$(curl -sS -K "$CURL_CONFIG_FILE" --max-time 30 -X PUT -H 'Content-Type: application/json' \
    --data-binary "@$CONNECTOR_FILE" -w '\n%{http_code}' \
    "$CONNECT_URL/connectors/$CONNECTOR_NAME/config" 2>&1); then
    code=$(printf '%s\n' "$out" | tail -n 1)
    body=$(printf '%s\n' "$out" | sed '$d')
  else
    code=000
    body=$out
  fi
  case "$code" in
    200 | 201)
      log "config accepted (HTTP $code)"
      break
      ;;
    409 | 5?? | 000) log "Connect not ready (HTTP $code), retrying: $body" ;;
    *) fail "Connect rejected the config (HTTP $code): $body" ;;
  esac
  check_deadline "Connect did not accept the config"
  sleep 3
done

# 3. Poll the status until the connector and every task are RUNNING; a FAILED one is final.
#    The JSON is matched with grep/sed after removing whitespace, e.g.
#    {"name":"…","connector":{"state":"RUNNING",…},"tasks":[{"id":0,"state":"RUNNING",…}],"type":"source"}
log "waiting for $CONNECTOR_NAME to be RUNNING"
while :; do
  status=$(curl -sS -K "$CURL_CONFIG_FILE" --max-time 5 "$CONNECT_URL/connectors/$CONNECTOR_NAME/status" 2>/dev/null || true)
  compact=$(printf '%s' "$status" | tr -d ' \t\r\n')
  case "$compact" in
    *'"state":"FAILED"'*) fail "connector or task FAILED: $(printf '%s' "$status" | head -c 4000)" ;;
  esac
  connector=$(printf '%s' "$compact" | sed -n 's/.*"connector":{\([^}]*\)}.*/\1/p')
  tasks=$(printf '%s' "$compact" | sed -n 's/.*"tasks":\[\(.*\)\].*/\1/p')
  total=$(printf '%s' "$tasks" | grep -o '"state":"[A-Z_]*"' | wc -l | tr -d ' ')
  running=$(printf '%s' "$tasks" | grep -o '"state":"RUNNING"' | wc -l | tr -d ' ')
  case "$connector" in
    *'"state":"RUNNING"'*)
      if [ "$total" -gt 0 ] && [ "$total" -eq "$running" ]; then
        log "connector $CONNECTOR_NAME and its $total task(s) are RUNNING"
        exit 0
      fi
      ;;
  esac
  check_deadline "$CONNECTOR_NAME is not RUNNING; last status: $status"
  sleep 2
done
