-- Up Migration
-- Daily revenue of each store: the "store's best day" milestone compares a day with the store's others.
CREATE TABLE analytics.by_store_day (
  store_id  text NOT NULL,
  day       date NOT NULL,
  units     bigint NOT NULL DEFAULT 0,
  revenue   numeric(16, 2) NOT NULL DEFAULT 0,
  sales     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (store_id, day)
);

-- The notifier detects milestones from the change stream of the aggregates: capture them too, with full
-- before images (a crossing is read from the value before and after the change).
ALTER TABLE analytics.revenue_total REPLICA IDENTITY FULL;
ALTER TABLE analytics.by_product REPLICA IDENTITY FULL;
ALTER TABLE analytics.by_store_day REPLICA IDENTITY FULL;
ALTER PUBLICATION sales_pipeline_cdc ADD TABLE analytics.revenue_total, analytics.by_product, analytics.by_store_day;
GRANT USAGE ON SCHEMA analytics TO sales_cdc;
GRANT SELECT ON analytics.revenue_total, analytics.by_product, analytics.by_store_day TO sales_cdc;

-- The outbox remembers when a post was attempted: after a crash, such a milestone is looked up in the
-- channel's history before it is posted again.
ALTER TABLE milestones ADD COLUMN attempted_at timestamptz;

-- Down Migration
ALTER TABLE milestones DROP COLUMN attempted_at;
ALTER PUBLICATION sales_pipeline_cdc DROP TABLE analytics.revenue_total, analytics.by_product, analytics.by_store_day;
DROP TABLE analytics.by_store_day;
