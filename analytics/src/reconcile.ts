import pg from 'pg';

/** One aggregate row that differs from the recomputation. */
export interface Drift {
  aggregate: string;
  key: string;
  expected: { units: string; revenue: string; sales: string };
  actual: { units: string; revenue: string; sales: string };
}

const BASE = `SELECT s.product_id, s.store_id, s.sold_on AS day, s.quantity, s.amount,
                     COALESCE(st.city, 'Inconnue') AS city, COALESCE(st.region, 'Inconnue') AS region
                FROM sales s LEFT JOIN stores st USING (store_id) WHERE s.status = 'complete'`;

const DIMENSIONS: Array<{ aggregate: string; table: string; key: string }> = [
  { aggregate: 'by_product', table: 'analytics.by_product', key: 'product_id' },
  { aggregate: 'by_store', table: 'analytics.by_store', key: 'store_id' },
  { aggregate: 'by_day', table: 'analytics.by_day', key: 'day' },
  { aggregate: 'by_city', table: 'analytics.by_city', key: 'city' },
  { aggregate: 'by_region', table: 'analytics.by_region', key: 'region' },
  { aggregate: 'by_store_day', table: 'analytics.by_store_day', key: "store_id || '|' || day" },
];

/**
 * Recomputes every aggregate from the base tables (complete sales, current stores) and returns each row
 * where the incremental aggregates differ. Read-only: runs as the reporting role, in one snapshot.
 */
export async function reconcile(databaseUrl: string): Promise<Drift[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const drifts: Drift[] = [];
    const toDrift = (aggregate: string) => (r: Record<string, string>) => ({
      aggregate,
      key: r.key ?? '',
      expected: { units: r.e_units ?? '0', revenue: r.e_revenue ?? '0.00', sales: r.e_sales ?? '0' },
      actual: { units: r.a_units ?? '0', revenue: r.a_revenue ?? '0.00', sales: r.a_sales ?? '0' },
    });
    const total = await client.query<Record<string, string>>(
      `WITH e AS (SELECT COALESCE(sum(quantity), 0) AS units, COALESCE(sum(amount), 0) AS revenue, count(*) AS sales FROM (${BASE}) b)
       SELECT 'total' AS key, e.units::text AS e_units, e.revenue::text AS e_revenue, e.sales::text AS e_sales,
              a.units::text AS a_units, a.revenue::text AS a_revenue, a.sales::text AS a_sales
         FROM e, analytics.revenue_total a
        WHERE a.id = 1 AND (e.units, e.revenue, e.sales) IS DISTINCT FROM (a.units, a.revenue, a.sales)`,
    );
    drifts.push(...total.rows.map(toDrift('revenue_total')));
    for (const { aggregate, table, key } of DIMENSIONS) {
      const { rows } = await client.query<Record<string, string>>(
        `WITH e AS (SELECT ${key} AS k, sum(quantity) AS units, sum(amount) AS revenue, count(*) AS sales FROM (${BASE}) b GROUP BY ${key}),
              a AS (SELECT ${key} AS k, units, revenue, sales FROM ${table} WHERE units <> 0 OR revenue <> 0 OR sales <> 0)
         SELECT COALESCE(e.k, a.k)::text AS key,
                e.units::text AS e_units, e.revenue::text AS e_revenue, e.sales::text AS e_sales,
                a.units::text AS a_units, a.revenue::text AS a_revenue, a.sales::text AS a_sales
           FROM e FULL JOIN a ON e.k = a.k
          WHERE (COALESCE(e.units, 0), COALESCE(e.revenue, 0), COALESCE(e.sales, 0))
                IS DISTINCT FROM (COALESCE(a.units, 0), COALESCE(a.revenue, 0), COALESCE(a.sales, 0))
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
