-- Up Migration
-- Trust: the analytics worker verifies its aggregates against the sales continuously, by what changed since
-- its last check, and the consumer records when each feed last grew (the stale feed alarm).

-- When each sale row last changed (insert, amendment, cancellation, completion, or an edit by hand): the
-- verifier re-checks the sales changed since its last check against what the aggregates count of them.
-- Set by a trigger, so that no writer can forget it; existing rows keep NULL (never re-checked one by one:
-- the totals check below still covers them).
ALTER TABLE sales ADD COLUMN changed_at timestamptz;
CREATE FUNCTION sales_touch_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_at := clock_timestamp();
  RETURN NEW;
END
$$;
CREATE TRIGGER sales_changed_at BEFORE INSERT OR UPDATE ON sales
  FOR EACH ROW EXECUTE FUNCTION sales_touch_changed_at();
CREATE INDEX sales_changed_at_idx ON sales (changed_at);

-- What the sale facts (analytics.sale_facts: each sale's counted contribution) add up to, kept by the
-- database itself from every statement that writes the facts. Every aggregate table must sum to it: one
-- that does not has drifted, wherever the cause (an edit by hand, a bug that applied a delta twice).
CREATE TABLE analytics.fact_totals (
  id               integer PRIMARY KEY CHECK (id = 1),
  units            bigint NOT NULL DEFAULT 0,
  revenue          numeric(16, 2) NOT NULL DEFAULT 0,
  sales            bigint NOT NULL DEFAULT 0,
  returns          bigint NOT NULL DEFAULT 0,
  returns_revenue  numeric(16, 2) NOT NULL DEFAULT 0
);
INSERT INTO analytics.fact_totals (id, units, revenue, sales, returns, returns_revenue)
SELECT 1, COALESCE(sum(units), 0), COALESCE(sum(revenue), 0),
       count(*) FILTER (WHERE units >= 0), count(*) FILTER (WHERE units < 0),
       COALESCE(sum(abs(revenue)) FILTER (WHERE units < 0), 0)
  FROM analytics.sale_facts WHERE counted;

-- Adds `sign` × the given sums to the facts' totals.
CREATE FUNCTION analytics.add_fact_totals(by_sign integer, d_units bigint, d_revenue numeric, d_sales bigint,
                                          d_returns bigint, d_returns_revenue numeric) RETURNS void
LANGUAGE sql AS $$
  UPDATE analytics.fact_totals
     SET units = units + by_sign * d_units, revenue = revenue + by_sign * d_revenue,
         sales = sales + by_sign * d_sales, returns = returns + by_sign * d_returns,
         returns_revenue = returns_revenue + by_sign * d_returns_revenue
   WHERE id = 1
$$;
-- One function for the three statement triggers (PostgreSQL allows transition tables only on
-- single-event triggers): the old rows are taken away, the new ones added.
CREATE FUNCTION analytics.fact_totals_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM analytics.add_fact_totals(-1, COALESCE(sum(units), 0)::bigint, COALESCE(sum(revenue), 0),
                                      count(*) FILTER (WHERE units >= 0), count(*) FILTER (WHERE units < 0),
                                      COALESCE(sum(abs(revenue)) FILTER (WHERE units < 0), 0))
       FROM old_facts WHERE counted;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM analytics.add_fact_totals(1, COALESCE(sum(units), 0)::bigint, COALESCE(sum(revenue), 0),
                                      count(*) FILTER (WHERE units >= 0), count(*) FILTER (WHERE units < 0),
                                      COALESCE(sum(abs(revenue)) FILTER (WHERE units < 0), 0))
       FROM new_facts WHERE counted;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER fact_totals_insert AFTER INSERT ON analytics.sale_facts
  REFERENCING NEW TABLE AS new_facts FOR EACH STATEMENT EXECUTE FUNCTION analytics.fact_totals_track();
CREATE TRIGGER fact_totals_update AFTER UPDATE ON analytics.sale_facts
  REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
  FOR EACH STATEMENT EXECUTE FUNCTION analytics.fact_totals_track();
CREATE TRIGGER fact_totals_delete AFTER DELETE ON analytics.sale_facts
  REFERENCING OLD TABLE AS old_facts FOR EACH STATEMENT EXECUTE FUNCTION analytics.fact_totals_track();

-- The verifier's progress: up to which commit time the aggregates and the sales are known to agree, and
-- where its next check of the changed sales starts.
CREATE TABLE analytics.verification (
  id                integer PRIMARY KEY CHECK (id = 1),
  verified_through  timestamptz,
  checked_at        timestamptz,
  window_from       timestamptz,
  -- sales changed after verified_through that the aggregates do not count as they are yet, at the last check
  behind_sales      integer NOT NULL DEFAULT 0,
  behind_sale_id    text
);
INSERT INTO analytics.verification (id) VALUES (1);

-- Every drift found: an aggregate row that does not equal what the facts add up to. Open until
-- `sales-pipeline reconcile --repair` sets the row right (in one transaction, which records the fix here).
CREATE TABLE analytics.drifts (
  drift_id     bigserial PRIMARY KEY,
  aggregate    text NOT NULL,
  key          text NOT NULL,
  stored       jsonb NOT NULL,
  recomputed   jsonb NOT NULL,
  detected_at  timestamptz NOT NULL DEFAULT now(),
  repaired_at  timestamptz,
  repair       jsonb
);
CREATE UNIQUE INDEX drifts_open_idx ON analytics.drifts (aggregate, key) WHERE repaired_at IS NULL;

-- When each feed (or HTTP source) last grew, as the consumer saw its lines (sales, changes and rejected
-- lines alike); `stale_since` is set while it has not grown for longer than FEED_STALE_AFTER, and each
-- such episode is numbered, so that its Slack message and its recovery's are posted once.
CREATE TABLE feed_activity (
  feed            text PRIMARY KEY,
  last_growth_at  timestamptz NOT NULL,
  lines           bigint NOT NULL DEFAULT 0,
  stale_since     timestamptz,
  stale_episodes  integer NOT NULL DEFAULT 0
);
INSERT INTO feed_activity (feed, last_growth_at, lines)
SELECT feed, COALESCE(max(line_seen_at), max(ingested_at)), count(*) FROM sales GROUP BY feed;

-- Down Migration
DROP TABLE feed_activity;
DROP TABLE analytics.drifts;
DROP TABLE analytics.verification;
DROP TRIGGER fact_totals_insert ON analytics.sale_facts;
DROP TRIGGER fact_totals_update ON analytics.sale_facts;
DROP TRIGGER fact_totals_delete ON analytics.sale_facts;
DROP FUNCTION analytics.fact_totals_track();
DROP FUNCTION analytics.add_fact_totals(integer, bigint, numeric, bigint, bigint, numeric);
DROP TABLE analytics.fact_totals;
DROP INDEX sales_changed_at_idx;
DROP TRIGGER sales_changed_at ON sales;
DROP FUNCTION sales_touch_changed_at();
ALTER TABLE sales DROP COLUMN changed_at;
