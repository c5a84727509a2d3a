import { SALE_COUNTED_AS_IT_IS } from '@sales-pipeline/analytics';
import { storedOffsets, type Pool } from '@sales-pipeline/platform';

/** A backfill as recorded: open from its start until the pipeline has taken it in. */
export interface OpenedBackfill {
  startedAt: Date;
  /** It was open already: a run that stopped (a kill, Ctrl-C) is resumed. */
  resumed: boolean;
}

/** The backfill of `feed` if it is open (a run stopped before it finished): it is resumed. */
export async function openedBackfill(pool: Pool, feed: string): Promise<OpenedBackfill | undefined> {
  const { rows } = await pool.query<{ started_at: Date }>(
    'SELECT started_at FROM backfills WHERE feed = $1 AND finished_at IS NULL',
    [feed],
  );
  return rows[0] ? { startedAt: rows[0].started_at, resumed: true } : undefined;
}

/** Another feed's backfill that is open, if any. */
export async function otherOpenBackfill(
  pool: Pool,
  feed: string,
): Promise<{ feed: string; startedAt: Date } | undefined> {
  const { rows } = await pool.query<{ feed: string; started_at: Date }>(
    'SELECT feed, started_at FROM backfills WHERE finished_at IS NULL AND feed <> $1 ORDER BY started_at LIMIT 1',
    [feed],
  );
  return rows[0] ? { feed: rows[0].feed, startedAt: rows[0].started_at } : undefined;
}

/**
 * Opens the backfill of `feed` (again, if it finished before: a new start). While it is open, the
 * notifier holds the milestones it records for its summary. `location` is kept without a password.
 */
export async function openBackfill(pool: Pool, feed: string, location: string): Promise<OpenedBackfill> {
  const { rows } = await pool.query<{ started_at: Date }>(
    `INSERT INTO backfills AS b (feed, location) VALUES ($1, $2)
     ON CONFLICT (feed) DO UPDATE
        SET location = EXCLUDED.location,
            started_at = CASE WHEN b.finished_at IS NULL THEN b.started_at ELSE now() END,
            finished_at = NULL
     RETURNING b.started_at`,
    [feed, location],
  );
  return { startedAt: (rows[0] as { started_at: Date }).started_at, resumed: false };
}

/**
 * The sales of the backfill (changed since it started) that the aggregates do not count as they are yet:
 * the verifier's rule, {@link SALE_COUNTED_AS_IT_IS}.
 */
export async function salesNotAggregated(pool: Pool, feed: string, since: Date): Promise<number> {
  const { rows } = await pool.query<{ behind: number }>(
    `SELECT count(*)::int AS behind
       FROM sales s LEFT JOIN analytics.sale_facts f ON f.sale_id = s.sale_id
      WHERE s.changed_at >= $2 AND s.feed = $1
        AND NOT ${SALE_COUNTED_AS_IT_IS}`,
    [feed, since],
  );
  return rows[0]?.behind ?? 0;
}

/**
 * Whether a sale has gone through the pipeline: its row is in `sales` and, if it counts, its fact in the
 * aggregates (a pending or cancelled sale has nothing to count); or the consumer refused its message
 * (a rejected row with its key).
 */
export async function saleThrough(pool: Pool, saleId: string): Promise<boolean> {
  const { rows } = await pool.query<{ through: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM sales s WHERE s.sale_id = $1
                       AND (s.status <> 'complete'
                            OR EXISTS (SELECT 1 FROM analytics.sale_facts f WHERE f.sale_id = s.sale_id)))
         OR EXISTS (SELECT 1 FROM rejected_rows r WHERE r.stage = 'consumer' AND r.kafka_key = convert_to($1, 'UTF8'))
         AS through`,
    [saleId],
  );
  return rows[0]?.through === true;
}

/** The next offsets a group stored with its rows, by topic and partition. */
export async function groupOffsets(pool: Pool, group: string): Promise<Map<string, Map<number, bigint>>> {
  const stored = new Map<string, Map<number, bigint>>();
  for (const o of await storedOffsets(pool, group)) {
    const partitions = stored.get(o.topic) ?? new Map<number, bigint>();
    partitions.set(o.partition, BigInt(o.nextOffset));
    stored.set(o.topic, partitions);
  }
  return stored;
}

/** The WAL position now. */
export async function walPosition(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return (rows[0] as { lsn: string }).lsn;
}

/**
 * Writes Debezium's heartbeat row: a change after everything before it, that Debezium reads and confirms
 * even when nothing else changes (its own heartbeat comes every heartbeat.interval.ms).
 */
export async function beat(pool: Pool): Promise<void> {
  await pool.query('UPDATE cdc_heartbeat SET beat_at = now() WHERE id = 1');
}

/**
 * Whether Debezium's slot has confirmed every change up to `lsn` (it has published them to Kafka), or
 * undefined when the slot is not in this database.
 */
export async function slotPassed(pool: Pool, slot: string, lsn: string): Promise<boolean | undefined> {
  const { rows } = await pool.query<{ passed: boolean | null }>(
    `SELECT confirmed_flush_lsn >= $2::pg_lsn AS passed FROM pg_replication_slots WHERE slot_name = $1`,
    [slot, lsn],
  );
  return rows[0] ? rows[0].passed === true : undefined;
}

/** The feed's rows in `sales`. */
export async function feedSales(pool: Pool, feed: string): Promise<number> {
  const { rows } = await pool.query<{ sales: number }>(
    'SELECT count(*)::int AS sales FROM sales WHERE feed = $1',
    [feed],
  );
  return rows[0]?.sales ?? 0;
}

/**
 * Closes the backfill: the notifier posts the milestones it held as one summary. Returns the feed's rows
 * in `sales` and the milestones its summary carries.
 */
export async function closeBackfill(
  pool: Pool,
  feed: string,
): Promise<{ sales: number; milestones: number }> {
  const { rows } = await pool.query<{ sales: number; milestones: number }>(
    `WITH counted AS (SELECT count(*) AS sales FROM sales WHERE feed = $1),
          closed AS (UPDATE backfills SET finished_at = now(), sales = (SELECT sales FROM counted)
                      WHERE feed = $1 AND finished_at IS NULL)
     SELECT (SELECT sales FROM counted)::int AS sales,
            (SELECT count(*) FROM milestones WHERE backfill = $1 AND status = 'pending')::int AS milestones`,
    [feed],
  );
  return rows[0] ?? { sales: 0, milestones: 0 };
}
