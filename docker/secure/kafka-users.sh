#!/bin/sh
# The `kafka-users` one-shot of docker-compose.secure.yml: the SCRAM-SHA-512 users of Redpanda, `admin`
# (its superuser) and `sales` (every client: workers, Connect, Console), made through the Admin API.
# The JSON bodies are written with printf (a shell builtin) to a file curl reads: no password on any
# command line. Idempotent: a user that exists already gets its password updated.
set -eu
ADMIN_API="${ADMIN_API:-http://redpanda:9644}"
body=$(mktemp)
trap 'rm -f "$body"' EXIT
for user in admin sales; do
  password=$(cat "/run/secrets/kafka_${user}_password")
  printf '{"username":"%s","password":"%s","algorithm":"SCRAM-SHA-512"}' "$user" "$password" > "$body"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "@$body" "$ADMIN_API/v1/security/users")
  if [ "$code" = 400 ] || [ "$code" = 409 ]; then
    printf '{"current_password":"","new_password":"%s","algorithm":"SCRAM-SHA-512"}' "$password" > "$body"
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
      --data-binary "@$body" "$ADMIN_API/v1/security/users/$user")
  fi
  case "$code" in
    200 | 201 | 204) echo "kafka-users: $user ready" ;;
    *) echo "kafka-users: the Admin API answered $code for $user" >&2; exit 1 ;;
  esac
done
