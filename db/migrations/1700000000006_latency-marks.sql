-- Up Migration
-- When the producer saw each sale's feed line (the Kafka header it sets), so that every stage can tell
-- its end-to-end latency: line → row (consumer), → aggregate (analytics), → milestone (notifier).
ALTER TABLE sales ADD COLUMN line_seen_at timestamptz;

-- The earliest feed-line time among the sales of the batch that last moved this aggregate row: the
-- notifier's line → milestone latency is measured from it (an upper bound for the crossing sale).
ALTER TABLE analytics.revenue_total ADD COLUMN line_seen_at timestamptz;
ALTER TABLE analytics.by_product ADD COLUMN line_seen_at timestamptz;
ALTER TABLE analytics.by_store_day ADD COLUMN line_seen_at timestamptz;

-- `dlq replay` re-sends a message the consumer refused to its topic once, and remembers it here.
ALTER TABLE rejected_rows ADD COLUMN replayed_at timestamptz;

-- Down Migration
ALTER TABLE rejected_rows DROP COLUMN replayed_at;
ALTER TABLE analytics.by_store_day DROP COLUMN line_seen_at;
ALTER TABLE analytics.by_product DROP COLUMN line_seen_at;
ALTER TABLE analytics.revenue_total DROP COLUMN line_seen_at;
ALTER TABLE sales DROP COLUMN line_seen_at;
