-- Up Migration
-- The analytics worker's own state, kept with the aggregates and updated in the same transactions.

-- What each sale currently contributes to the aggregates, and the LSN of the change that set it. A
-- change event whose LSN is not newer than the row's is a replay (Debezium re-delivers after a restart)
-- and is skipped; a deleted sale stays as a zero row so that an older event cannot bring it back.
CREATE TABLE analytics.sale_facts (
  sale_id     text PRIMARY KEY,
  product_id  text,
  store_id    text,
  day         date,
  units       bigint NOT NULL DEFAULT 0,
  revenue     numeric(16, 2) NOT NULL DEFAULT 0,
  counted     boolean NOT NULL DEFAULT false,
  lsn         bigint NOT NULL
);

-- The stores as the analytics worker has seen them (from their change events): which city and region a
-- store's totals are filed under. A store not seen yet is filed under 'Inconnue' and moved on arrival.
CREATE TABLE analytics.store_dim (
  store_id  text PRIMARY KEY,
  city      text NOT NULL,
  region    text NOT NULL,
  lsn       bigint NOT NULL
);

-- Down Migration
DROP TABLE analytics.store_dim, analytics.sale_facts;
