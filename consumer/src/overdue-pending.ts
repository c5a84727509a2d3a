import type { ClientBase } from 'pg';
import { z } from 'zod';
import { parseConfig, type Env } from '@sales-pipeline/platform';
import { formatDuration, pendingAlertAfterSchema } from './duration.ts';

/** The sales pending for longer than the alert threshold, and what they wait for. */
export interface OverduePending {
  count: number;
  /** When the oldest of them was stored. */
  oldestSince: Date | null;
  /** The missing references the oldest of them wait for (`store x7`, `product REF9`), at most 5. */
  waitingFor: string[];
}

/** Reads the sales pending for longer than `afterMs`. One statement, parameterised. */
export async function readOverduePending(client: ClientBase, afterMs: number): Promise<OverduePending> {
  const { rows } = await client.query<{ count: number; oldest: Date | null; waiting_for: string[] | null }>(
    `WITH overdue AS (
       SELECT s.ingested_at,
              CASE WHEN p.product_id IS NULL THEN 'product ' || s.product_id ELSE 'store ' || s.store_id END AS missing
         FROM sales s LEFT JOIN products p ON p.product_id = s.product_id
        WHERE s.status = 'pending' AND s.ingested_at < now() - make_interval(secs => $1::double precision / 1000)
     ), missing AS (
       SELECT missing, min(ingested_at) AS since FROM overdue GROUP BY missing ORDER BY since LIMIT 5
     )
     SELECT (SELECT count(*)::int FROM overdue) AS count,
            (SELECT min(ingested_at) FROM overdue) AS oldest,
            (SELECT array_agg(missing ORDER BY since) FROM missing) AS waiting_for`,
    [afterMs],
  );
  const row = rows[0];
  return { count: row?.count ?? 0, oldestSince: row?.oldest ?? null, waitingFor: row?.waiting_for ?? [] };
}

/** The warning to show for overdue pending sales, or undefined when there are none. Pure. */
export function overdueWarning(overdue: OverduePending, afterMs: number): string | undefined {
  if (overdue.count === 0) return undefined;
  const since = overdue.oldestSince ? `oldest since ${overdue.oldestSince.toISOString()}` : 'oldest unknown';
  const waiting = overdue.waitingFor.length > 0 ? `, waiting for ${overdue.waitingFor.join(', ')}` : '';
  return `${overdue.count} sale(s) pending for longer than ${formatDuration(afterMs)} (${since}${waiting}): see sales-pipeline dlq list`;
}

/**
 * The overdue-pending warning for `sales-pipeline status`, with PENDING_ALERT_AFTER read from `env`
 * (a ConfigError naming it when invalid). Undefined when no sale is overdue.
 */
export async function pendingWarning(client: ClientBase, env: Env): Promise<string | undefined> {
  const { PENDING_ALERT_AFTER } = parseConfig(
    z.object({ PENDING_ALERT_AFTER: pendingAlertAfterSchema }),
    env,
  );
  return overdueWarning(await readOverduePending(client, PENDING_ALERT_AFTER), PENDING_ALERT_AFTER);
}
