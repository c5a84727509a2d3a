-- Up Migration
-- The notifier's outbox queries stay small while a backfill holds its milestones (a year of history
-- holds a big sale for every large line: millions). The send loop counts the postable milestones each
-- time it wakes, and it wakes whenever milestones are recorded: through the index of all pending
-- milestones, that count read every held one (0.2 to 2.5 s at 131,000 held, a busy backend all along).
-- Live pending milestones, and a claim's milestones (by its attempted_at), now have indexes of their own.
CREATE INDEX milestones_live_pending_idx ON milestones (milestone_id) WHERE status = 'pending' AND backfill IS NULL;
CREATE INDEX milestones_attempted_idx ON milestones (attempted_at) WHERE status = 'pending' AND attempted_at IS NOT NULL;

-- Down Migration
DROP INDEX milestones_attempted_idx;
DROP INDEX milestones_live_pending_idx;
