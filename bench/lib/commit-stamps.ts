import type pg from 'pg';

/**
 * When each step of a sale was committed in PostgreSQL (epoch ms, from track_commit_timestamp): the
 * readings the latency and cost parts take once the pipeline has caught up.
 */
const epochMs = (column: string) => `extract(epoch FROM ${column}) * 1000`;

/** The feed line of a sale id (`<feed>/<file>/<line>`). */
export const lineOfSaleId = (saleId: string) => Number(saleId.split('/').at(-1));

/**
 * The `sales` rows of feed lines `fromLine`..`toLine`: when the producer read the line
 * (`sales.line_seen_at`, NaN when not recorded) and when the row was committed.
 */
export async function salesRowStamps(
  db: pg.Client,
  fromLine: number,
  toLine: number,
): Promise<Array<{ line: number; seen: number; committed: number }>> {
  const { rows } = await db.query<{ line: string; seen: number | null; at: number }>(
    `SELECT line_number AS line, ${epochMs('line_seen_at')} AS seen,
            ${epochMs('pg_xact_commit_timestamp(xmin)')} AS at
       FROM sales WHERE line_number BETWEEN $1 AND $2`,
    [fromLine, toLine],
  );
  return rows.map((r) => ({
    line: Number(r.line),
    seen: r.seen === null ? Number.NaN : Number(r.seen),
    committed: Number(r.at),
  }));
}

/**
 * When each sale's aggregates were committed: its `analytics.sale_facts` row is written in the analytics
 * batch transaction that moved the aggregates.
 */
export async function aggregateStamps(db: pg.Client): Promise<Array<{ line: number; committed: number }>> {
  const { rows } = await db.query<{ sale_id: string; at: number }>(
    `SELECT sale_id, ${epochMs('pg_xact_commit_timestamp(xmin)')} AS at FROM analytics.sale_facts`,
  );
  return rows.map((r) => ({ line: lineOfSaleId(r.sale_id), committed: Number(r.at) }));
}

/**
 * Bench-only: a trigger records the transaction that inserted each milestone (the sender's update right
 * after changes the row's xmin), so that `milestoneStamps` reads when the milestone was recorded.
 */
export async function trackMilestoneInserts(db: pg.Client): Promise<void> {
  await db.query(`
    CREATE TABLE bench_milestone_tx (milestone_id bigint PRIMARY KEY, xid xid8 NOT NULL);
    CREATE FUNCTION bench_milestone_tx() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      BEGIN INSERT INTO bench_milestone_tx VALUES (NEW.milestone_id, pg_current_xact_id()); RETURN NEW; END $$;
    CREATE TRIGGER bench_milestone_tx AFTER INSERT ON milestones FOR EACH ROW EXECUTE FUNCTION bench_milestone_tx();
  `);
}

/** Milestones recorded so far (the rows `trackMilestoneInserts` saw). */
export async function milestonesRecorded(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM bench_milestone_tx');
  return Number(rows[0]?.n ?? 0);
}

/** Each milestone and the commit of the transaction that inserted it. */
export async function milestoneStamps(
  db: pg.Client,
): Promise<Array<{ rule: string; subject: string; step: string; committed: number }>> {
  const { rows } = await db.query<{ rule: string; subject: string; step: string; at: number }>(
    `SELECT m.rule, m.subject, m.step::text AS step,
            ${epochMs('pg_xact_commit_timestamp((t.xid::text)::xid)')} AS at
       FROM milestones m JOIN bench_milestone_tx t USING (milestone_id)`,
  );
  return rows.map((r) => ({ rule: r.rule, subject: r.subject, step: r.step, committed: Number(r.at) }));
}
