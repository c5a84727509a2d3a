import pg from 'pg';
import {
  AGGREGATE_TABLES,
  FIGURE_COLUMNS,
  VERIFY_LOCK,
  figuresOf,
  rowsDifferingFromFacts,
} from './aggregate-tables.ts';
import type { AggregateDrift } from './verify-aggregates.ts';

/**
 * Sets every aggregate row that differs from what the sale facts add up to back to that sum, in one
 * transaction, and closes the open drifts with the fix they got (a row fixed that no check had reported
 * yet is recorded as a drift found and fixed at once). The facts are locked for the transaction (SHARE:
 * the analytics worker's next batch waits), so that no delta lands between the sum and the write.
 * Returns the fixes; none when the aggregates already agree. Runs as the pipeline's role (DATABASE_URL).
 */
export async function repairAggregates(databaseUrl: string): Promise<AggregateDrift[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [VERIFY_LOCK]);
    await client.query('LOCK TABLE analytics.sale_facts, analytics.store_dim IN SHARE MODE');
    const fixes: AggregateDrift[] = [];
    const totals = await client.query<Record<string, string | null>>(
      `SELECT 'total' AS key, ${FIGURE_COLUMNS.map((c) => `f.${c}::text AS e_${c}, a.${c}::text AS a_${c}`).join(', ')}
         FROM analytics.fact_totals f, analytics.revenue_total a
        WHERE f.id = 1 AND a.id = 1
          AND (${FIGURE_COLUMNS.map((c) => `f.${c}`).join(', ')}) IS DISTINCT FROM (${FIGURE_COLUMNS.map((c) => `a.${c}`).join(', ')})`,
    );
    for (const r of totals.rows) {
      await client.query(
        `UPDATE analytics.revenue_total a SET ${FIGURE_COLUMNS.map((c) => `${c} = f.${c}`).join(', ')}
           FROM analytics.fact_totals f WHERE a.id = 1 AND f.id = 1`,
      );
      fixes.push({
        aggregate: 'revenue_total',
        key: 'total',
        stored: figuresOf(r, 'a'),
        recomputed: figuresOf(r, 'e'),
      });
    }
    for (const table of AGGREGATE_TABLES) {
      const { rows } = await client.query<Record<string, string | null>>(rowsDifferingFromFacts(table));
      if (rows.length === 0) continue;
      const keys = table.keys.map((k) => k.column);
      // The recomputed figures of every differing row, written in one statement (a row the facts no
      // longer have is set to zero, as the worker leaves it).
      await client.query(
        `INSERT INTO ${table.table} (${keys.join(', ')}, ${FIGURE_COLUMNS.join(', ')})
         SELECT ${keys.map((k) => `(r->>'k_${k}')::${k === 'day' ? 'date' : 'text'}`).join(', ')},
                ${FIGURE_COLUMNS.map((c) => `(r->>'e_${c}')::numeric`).join(', ')}
           FROM jsonb_array_elements($1::jsonb) r
         ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${FIGURE_COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
        [JSON.stringify(rows)],
      );
      for (const r of rows)
        fixes.push({
          aggregate: table.aggregate,
          key: r.key ?? '',
          stored: figuresOf(r, 'a'),
          recomputed: figuresOf(r, 'e'),
        });
    }
    for (const fix of fixes) {
      const repair = JSON.stringify({ from: fix.stored, to: fix.recomputed });
      const closed = await client.query(
        `UPDATE analytics.drifts SET repaired_at = now(), repair = $3
          WHERE aggregate = $1 AND key = $2 AND repaired_at IS NULL`,
        [fix.aggregate, fix.key, repair],
      );
      if (closed.rowCount === 0)
        await client.query(
          `INSERT INTO analytics.drifts (aggregate, key, stored, recomputed, repaired_at, repair)
           VALUES ($1, $2, $3, $4, now(), $5)`,
          [fix.aggregate, fix.key, JSON.stringify(fix.stored), JSON.stringify(fix.recomputed), repair],
        );
    }
    // A drift that no longer differs (set right by hand meanwhile) is closed too, with nothing to fix.
    await client.query(
      `UPDATE analytics.drifts SET repaired_at = now(), repair = '{"already": "equal"}'::jsonb WHERE repaired_at IS NULL`,
    );
    await client.query('COMMIT');
    return fixes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
