/**
 * Container images of the Docker path, pinned. docker-compose.yml pins the same tags: change both.
 * (Not pulled on our development machines, which have no Docker engine.)
 */
export const IMAGES = {
  redpanda: 'docker.redpanda.com/redpandadata/redpanda:v26.2.3',
  postgres: 'postgres:17.6',
  debeziumConnect: 'quay.io/debezium/connect:3.7.0.Final',
} as const;
