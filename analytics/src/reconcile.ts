import pg from 'pg';

/** An aggregate row's figures as PostgreSQL writes them (counts and exact decimal strings). */
export interface DriftFigures {
  /** Net units (returns count negative). */
  units: string;
  /** Net revenue (sales minus returns). */
  revenue: string;
  /** Sale lines (quantity > 0). */
  sales: string;
  /** Return lines (quantity < 0). */
  returns: string;
  /** What the returns took back, positive. */
  returnsRevenue: string;
}

/** One aggregate row that differs from the recomputation. */
export interface Drift {
  aggregate: string;
  key: string;
  expected: DriftFigures;
  actual: DriftFigures;
}

const BASE = `SELECT s.product_id, s.store_id, s.sold_on AS day, s.quantity, s.amount,
                     COALESCE(st.city, 'Inconnue') AS city, COALESCE(st.region, 'Inconnue') AS region
                FROM sales s LEFT JOIN stores st USING (store_id) WHERE s.status = 'complete'`;

/** The aggregate columns, and how each is recomputed from the complete lines of BASE. */
const COLUMNS: Array<{ column: string; sum: string; zero: string }> = [
  { column: 'units', sum: 'sum(quantity)', zero: '0' },
  { column: 'revenue', sum: 'sum(amount)', zero: '0.00' },
  { column: 'sales', sum: 'count(*) FILTER (WHERE quantity > 0)', zero: '0' },
  { column: 'returns', sum: 'count(*) FILTER (WHERE quantity < 0)', zero: '0' },
  { column: 'returns_revenue', sum: 'sum(abs(amount)) FILTER (WHERE quantity < 0)', zero: '0.00' },
];

/** `COALESCE(sum(quantity), 0) AS units, …`: every column recomputed (zero when nothing counts). */
const RECOMPUTED = COLUMNS.map(({ column, sum, zero }) => `COALESCE(${sum}, ${zero}) AS ${column}`).join(
  ', ',
);
/** The expected (`e`) and actual (`a`) figures side by side, as text. */
const SIDE_BY_SIDE = COLUMNS.map(
  ({ column }) => `e.${column}::text AS e_${column}, a.${column}::text AS a_${column}`,
).join(', ');
/** A row of `side`'s figures, absent ones as zero: `(COALESCE(e.units, 0), …)`. */
const FIGURES = (side: 'e' | 'a') =>
  `(${COLUMNS.map(({ column }) => `COALESCE(${side}.${column}, 0)`).join(', ')})`;

const DIMENSIONS: Array<{ aggregate: string; table: string; key: string }> = [
  { aggregate: 'by_product', table: 'analytics.by_product', key: 'product_id' },
  { aggregate: 'by_store', table: 'analytics.by_store', key: 'store_id' },
  { aggregate: 'by_day', table: 'analytics.by_day', key: 'day' },
  { aggregate: 'by_city', table: 'analytics.by_city', key: 'city' },
  { aggregate: 'by_region', table: 'analytics.by_region', key: 'region' },
  { aggregate: 'by_store_day', table: 'analytics.by_store_day', key: "store_id || '|' || day" },
];

/**
 * Recomputes every aggregate from the base tables (complete lines, current stores) — net units and
 * revenue, sale lines, return lines and what the returns took back — and returns each row where the
 * incremental aggregates differ. Read-only: runs as the reporting role, in one snapshot.
 */
export async function reconcile(databaseUrl: string): Promise<Drift[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const drifts: Drift[] = [];
    const figures = (r: Record<string, string | null>, side: 'e' | 'a'): DriftFigures => ({
      units: r[`${side}_units`] ?? '0',
      revenue: r[`${side}_revenue`] ?? '0.00',
      sales: r[`${side}_sales`] ?? '0',
      returns: r[`${side}_returns`] ?? '0',
      returnsRevenue: r[`${side}_returns_revenue`] ?? '0.00',
    });
    const toDrift = (aggregate: string) => (r: Record<string, string | null>) => ({
      aggregate,
      key: r.key ?? '',
      expected: figures(r, 'e'),
      actual: figures(r, 'a'),
    });
    const total = await client.query<Record<string, string | null>>(
      `WITH e AS (SELECT ${RECOMPUTED} FROM (${BASE}) b)
       SELECT 'total' AS key, ${SIDE_BY_SIDE}
         FROM e, analytics.revenue_total a
        WHERE a.id = 1 AND ${FIGURES('e')} IS DISTINCT FROM ${FIGURES('a')}`,
    );
    drifts.push(...total.rows.map(toDrift('revenue_total')));
    const nonZero = COLUMNS.map(({ column }) => `${column} <> 0`).join(' OR ');
    for (const { aggregate, table, key } of DIMENSIONS) {
      const { rows } = await client.query<Record<string, string | null>>(
        `WITH e AS (SELECT ${key} AS k, ${RECOMPUTED} FROM (${BASE}) b GROUP BY ${key}),
              a AS (SELECT ${key} AS k, ${COLUMNS.map((c) => c.column).join(', ')} FROM ${table} WHERE ${nonZero})
         SELECT COALESCE(e.k, a.k)::text AS key, ${SIDE_BY_SIDE}
           FROM e FULL JOIN a ON e.k = a.k
          WHERE ${FIGURES('e')} IS DISTINCT FROM ${FIGURES('a')}
          ORDER BY 1`,
      );
      drifts.push(...rows.map(toDrift(aggregate)));
    }
    await client.query('COMMIT');
    return drifts;
  } finally {
    await client.end();
  }
}
