#!/bin/sh
# The `certs` one-shot of docker-compose.secure.yml: a CA and one server certificate for the services'
# names (redpanda, postgres, connect, localhost), and Connect's REST login files, in the `certs` volume.
# Made once: a later `up` keeps them (clients keep trusting the same CA). Secrets are read from
# /run/secrets (compose secrets), written only to files readable by their service, never echoed.
set -eu
cd /certs
if [ ! -f ca.crt ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj '/CN=sales-pipeline compose CA' -out ca.crt
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key
  openssl req -new -key server.key -subj '/CN=sales-pipeline' -out server.csr
  printf 'subjectAltName=DNS:redpanda,DNS:postgres,DNS:connect,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
    -extfile server.ext -out server.crt
  rm -f server.csr server.ext
fi
# PostgreSQL (uid 999 in the postgres image) insists on a key only its owner reads.
mkdir -p postgres
cp server.crt server.key postgres/
chown -R 999:999 postgres
chmod 0600 postgres/server.key
# Redpanda (uid 101) reads the key too.
mkdir -p redpanda
cp server.crt server.key ca.crt redpanda/
chown -R 101:101 redpanda
chmod 0600 redpanda/server.key
# Connect's REST API login (Kafka's PropertyFileLoginModule), and a curl config for its healthcheck and
# connector-init, written with printf (a shell builtin: the password is on no command line).
mkdir -p connect
connect_password=$(cat /run/secrets/connect_password)
printf 'sales-pipeline: %s\n' "$connect_password" > connect/rest-users.properties
printf 'KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="/certs/connect/rest-users.properties";\n};\n' > connect/rest-jaas.conf
printf 'user = "sales-pipeline:%s"\n' "$connect_password" > connect/curl.conf
chown -R 1001:1001 connect
chmod 0600 connect/rest-users.properties connect/curl.conf
chmod 0644 ca.crt
chmod 0600 ca.key server.key
echo "certs: CA and server certificate ready in the certs volume"
