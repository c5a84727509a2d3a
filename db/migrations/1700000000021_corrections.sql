-- Up Migration
-- Returns, corrections and cancellations.
--   * A return is a sale line with a negative quantity: its amount is negative, priced like a sale.
--   * A sale of a snapshot feed (or of a feed with an id column) can be amended (its values replaced) or
--     cancelled (status 'cancelled': it counts nothing, and keeps its last values for the audit). `rev`
--     orders the changes of one sale: a change is applied only over a lower `rev`, so an older version
--     never overwrites a newer one, whatever the order it arrives in. Append-only sales keep rev 0.
--   * Every version of a corrected sale is kept in `sale_versions`, with its feed version and line.
ALTER TABLE sales DROP CONSTRAINT sales_quantity_check;
ALTER TABLE sales ADD CONSTRAINT sales_quantity_check CHECK (quantity <> 0);
ALTER TABLE sales DROP CONSTRAINT sales_status_check;
ALTER TABLE sales ADD CONSTRAINT sales_status_check CHECK (status IN ('complete', 'pending', 'cancelled'));
ALTER TABLE sales DROP CONSTRAINT sales_check;
ALTER TABLE sales ADD CONSTRAINT sales_check
  CHECK (status <> 'complete' OR (unit_price IS NOT NULL AND amount IS NOT NULL));
ALTER TABLE sales ADD COLUMN rev bigint NOT NULL DEFAULT 0;
ALTER TABLE sales ADD COLUMN feed_version integer;

CREATE TABLE sale_versions (
  sale_id         text NOT NULL,
  rev             bigint NOT NULL,
  op              text NOT NULL CHECK (op IN ('sale', 'amendment', 'cancellation')),
  feed            text NOT NULL,
  feed_version    integer,
  line_number     bigint,
  sold_on         date,
  product_id      text,
  store_id        text,
  quantity        integer,
  topic           text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sale_id, rev)
);
CREATE INDEX sale_versions_feed_idx ON sale_versions (feed, op);
-- The dashboard's latest corrections.
CREATE INDEX sale_versions_corrections_idx ON sale_versions (recorded_at) WHERE op <> 'sale';

-- Aggregates: `revenue` and `units` are net (sales minus returns); `sales` counts sale lines, `returns`
-- return lines, and `returns_revenue` is what the returns took back (a positive amount): gross revenue is
-- revenue + returns_revenue.
ALTER TABLE analytics.revenue_total ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE analytics.by_product ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE analytics.by_store ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE analytics.by_city ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE analytics.by_region ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE analytics.by_day ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE analytics.by_store_day ADD COLUMN returns bigint NOT NULL DEFAULT 0,
  ADD COLUMN returns_revenue numeric(16, 2) NOT NULL DEFAULT 0;

-- A snapshot version the producer held back (it would cancel more than SNAPSHOT_MAX_CANCEL of the
-- feed's sales), recorded by the consumer from the producer's notice; cleared when a version of the feed
-- is applied. `sales-pipeline feed accept <feed>` lets the producer apply it.
CREATE TABLE feed_holds (
  feed          text PRIMARY KEY,
  -- the producer's number of the hold: `feed accept` hands it back to the producer
  seq           bigint NOT NULL,
  version_sha   text NOT NULL,
  reason        text NOT NULL,
  cancels       bigint NOT NULL,
  live_sales    bigint NOT NULL,
  held_at       timestamptz NOT NULL DEFAULT now(),
  accepted_at   timestamptz
);

-- Down Migration
DROP TABLE feed_holds;
ALTER TABLE analytics.by_store_day DROP COLUMN returns, DROP COLUMN returns_revenue;
ALTER TABLE analytics.by_day DROP COLUMN returns, DROP COLUMN returns_revenue;
ALTER TABLE analytics.by_region DROP COLUMN returns, DROP COLUMN returns_revenue;
ALTER TABLE analytics.by_city DROP COLUMN returns, DROP COLUMN returns_revenue;
ALTER TABLE analytics.by_store DROP COLUMN returns, DROP COLUMN returns_revenue;
ALTER TABLE analytics.by_product DROP COLUMN returns, DROP COLUMN returns_revenue;
ALTER TABLE analytics.revenue_total DROP COLUMN returns, DROP COLUMN returns_revenue;
DROP TABLE sale_versions;
ALTER TABLE sales DROP COLUMN feed_version;
ALTER TABLE sales DROP COLUMN rev;
