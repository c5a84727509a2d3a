-- Up Migration
-- History loaded with `sales-pipeline backfill`: open from its start until the whole pipeline has taken
-- it in (its rows in `sales`, their facts in the aggregates, the notifier past their changes). While a
-- backfill is open, the milestones the notifier records are marked with its feed and held back; once it
-- is finished they are posted together, as one summary, instead of a message per crossed step.
CREATE TABLE backfills (
  feed         text PRIMARY KEY,
  location     text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- The feed's rows in `sales` when it finished.
  sales        bigint
);
ALTER TABLE milestones ADD COLUMN backfill text;
CREATE INDEX milestones_backfill_idx ON milestones (backfill) WHERE status = 'pending' AND backfill IS NOT NULL;

-- Down Migration
DROP INDEX milestones_backfill_idx;
ALTER TABLE milestones DROP COLUMN backfill;
DROP TABLE backfills;
