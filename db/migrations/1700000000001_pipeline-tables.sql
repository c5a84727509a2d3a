-- Up Migration
-- Base tables. Money is numeric, never floating point; ids are the client's own, kept as text.

CREATE TABLE products (
  product_id   text PRIMARY KEY,
  name         text NOT NULL,
  unit_price   numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
  stock        integer,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores (
  store_id     text PRIMARY KEY,
  city         text NOT NULL,
  -- from the city → region reference; a city it does not know gets 'Inconnue', never NULL
  region       text NOT NULL DEFAULT 'Inconnue',
  employees    integer,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per sale, keyed by the producer's deterministic sale id. unit_price and amount are fixed
-- at ingest, so past revenue does not move when a product's price changes. A sale whose product or
-- store is not known yet is 'pending' (price and amount NULL) until the reference arrives.
CREATE TABLE sales (
  sale_id      text PRIMARY KEY,
  sold_on      date NOT NULL,
  product_id   text NOT NULL,
  store_id     text NOT NULL,
  quantity     integer NOT NULL CHECK (quantity > 0),
  unit_price   numeric(12, 2),
  amount       numeric(14, 2),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('complete', 'pending')),
  feed         text NOT NULL,
  line_number  bigint NOT NULL CHECK (line_number > 0),
  ingested_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'pending' OR (unit_price IS NOT NULL AND amount IS NOT NULL))
);
CREATE INDEX sales_pending_idx ON sales (product_id, store_id) WHERE status = 'pending';

-- Every input line that is not a sale, with why. (topic, partition, kafka_offset) makes a replay idempotent.
CREATE TABLE rejected_rows (
  rejected_id   bigserial PRIMARY KEY,
  stage         text NOT NULL CHECK (stage IN ('producer', 'consumer')),
  feed          text,
  line_number   bigint,
  raw_line      text,
  reason        text NOT NULL,
  topic         text,
  kafka_partition integer,
  kafka_offset  bigint,
  rejected_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (topic, kafka_partition, kafka_offset)
);

-- Offsets consumed, stored in the same transaction as the rows they produced: a consumer resumes
-- from here, so a replay after a crash finds its rows already applied.
CREATE TABLE consumer_offsets (
  consumer_group  text NOT NULL,
  topic           text NOT NULL,
  kafka_partition integer NOT NULL,
  next_offset     bigint NOT NULL CHECK (next_offset >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, kafka_partition)
);

-- Outbox of milestones: recorded before anything is sent, unique per rule, subject and step.
CREATE TABLE milestones (
  milestone_id  bigserial PRIMARY KEY,
  rule          text NOT NULL,
  subject       text NOT NULL,
  step          numeric(14, 2) NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'sent_dry', 'failed')),
  slack_ts      text,
  detected_at   timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz,
  last_error    text,
  UNIQUE (rule, subject, step)
);
CREATE INDEX milestones_pending_idx ON milestones (milestone_id) WHERE status = 'pending';

-- Written by Debezium's heartbeat.action.query so the replication slot advances while sales are quiet.
CREATE TABLE cdc_heartbeat (
  id       integer PRIMARY KEY CHECK (id = 1),
  beat_at  timestamptz NOT NULL
);
INSERT INTO cdc_heartbeat (id, beat_at) VALUES (1, now());

-- Aggregates live in a schema of their own, kept fresh incrementally from the change stream.
CREATE SCHEMA analytics;

CREATE TABLE analytics.revenue_total (
  id       integer PRIMARY KEY CHECK (id = 1),
  revenue  numeric(16, 2) NOT NULL DEFAULT 0,
  units    bigint NOT NULL DEFAULT 0,
  sales    bigint NOT NULL DEFAULT 0
);
INSERT INTO analytics.revenue_total (id) VALUES (1);

CREATE TABLE analytics.by_product (
  product_id text PRIMARY KEY,
  units      bigint NOT NULL DEFAULT 0,
  revenue    numeric(16, 2) NOT NULL DEFAULT 0,
  sales      bigint NOT NULL DEFAULT 0
);
CREATE TABLE analytics.by_store (
  store_id   text PRIMARY KEY,
  units      bigint NOT NULL DEFAULT 0,
  revenue    numeric(16, 2) NOT NULL DEFAULT 0,
  sales      bigint NOT NULL DEFAULT 0
);
CREATE TABLE analytics.by_city (
  city       text PRIMARY KEY,
  units      bigint NOT NULL DEFAULT 0,
  revenue    numeric(16, 2) NOT NULL DEFAULT 0,
  sales      bigint NOT NULL DEFAULT 0
);
CREATE TABLE analytics.by_region (
  region     text PRIMARY KEY,
  units      bigint NOT NULL DEFAULT 0,
  revenue    numeric(16, 2) NOT NULL DEFAULT 0,
  sales      bigint NOT NULL DEFAULT 0
);
CREATE TABLE analytics.by_day (
  day        date PRIMARY KEY,
  units      bigint NOT NULL DEFAULT 0,
  revenue    numeric(16, 2) NOT NULL DEFAULT 0,
  sales      bigint NOT NULL DEFAULT 0
);

-- Down Migration
DROP SCHEMA analytics CASCADE;
DROP TABLE cdc_heartbeat, milestones, consumer_offsets, rejected_rows, sales, stores, products;
