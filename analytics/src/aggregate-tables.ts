import { UNKNOWN_REGION } from '@sales-pipeline/platform';

/**
 * The advisory lock a check of the aggregates and a repair take: a repair never runs between a check's
 * snapshot and its writes (which would record again a drift the repair just closed).
 */
export const VERIFY_LOCK = 0x56524659; // 'VRFY'

/** The figures of one aggregate row, as PostgreSQL writes them (counts and exact decimal strings). */
export interface AggregateFigures {
  units: string;
  revenue: string;
  sales: string;
  returns: string;
  returnsRevenue: string;
}

/** The amount columns every aggregate table has, in the order of {@link AggregateFigures}. */
export const FIGURE_COLUMNS = ['units', 'revenue', 'sales', 'returns', 'returns_revenue'] as const;

/** An aggregate table keyed by one or more columns, each with how it is read from a sale fact. */
export interface AggregateTable {
  aggregate: string;
  table: string;
  keys: Array<{ column: string; fromFact: string }>;
}

const UNKNOWN = `'${UNKNOWN_REGION.replace(/'/g, "''")}'`;

/**
 * The aggregate tables with keys. A fact's city and region are those the analytics worker filed its store
 * under (analytics.store_dim), 'Inconnue' for a store it has not seen: the aggregates are checked against
 * what the facts say, not re-derived from the stores table.
 */
export const AGGREGATE_TABLES: readonly AggregateTable[] = [
  {
    aggregate: 'by_product',
    table: 'analytics.by_product',
    keys: [{ column: 'product_id', fromFact: 'f.product_id' }],
  },
  {
    aggregate: 'by_store',
    table: 'analytics.by_store',
    keys: [{ column: 'store_id', fromFact: 'f.store_id' }],
  },
  { aggregate: 'by_day', table: 'analytics.by_day', keys: [{ column: 'day', fromFact: 'f.day' }] },
  {
    aggregate: 'by_city',
    table: 'analytics.by_city',
    keys: [{ column: 'city', fromFact: `COALESCE(d.city, ${UNKNOWN})` }],
  },
  {
    aggregate: 'by_region',
    table: 'analytics.by_region',
    keys: [{ column: 'region', fromFact: `COALESCE(d.region, ${UNKNOWN})` }],
  },
  {
    aggregate: 'by_store_day',
    table: 'analytics.by_store_day',
    keys: [
      { column: 'store_id', fromFact: 'f.store_id' },
      { column: 'day', fromFact: 'f.day' },
    ],
  },
];

/** What the counted facts add up to, per column, from `facts f` (and `d` their store's dimensions). */
const FACT_SUMS = `COALESCE(sum(f.units), 0) AS units, COALESCE(sum(f.revenue), 0) AS revenue,
  count(*) FILTER (WHERE f.units >= 0) AS sales, count(*) FILTER (WHERE f.units < 0) AS returns,
  COALESCE(sum(abs(f.revenue)) FILTER (WHERE f.units < 0), 0) AS returns_revenue`;

/** One line of the sums of every aggregate table and of the facts (`aggregate` = 'facts'). Cheap: the aggregate tables are small. */
export const SUMS_SQL = [
  // Named as the stored side (`a_units`, …) of {@link figuresOf}.
  `SELECT 'facts' AS aggregate, ${FIGURE_COLUMNS.map((c) => `${c}::text AS a_${c}`).join(', ')} FROM analytics.fact_totals WHERE id = 1`,
  `SELECT 'revenue_total', ${FIGURE_COLUMNS.map((c) => `${c}::text`).join(', ')} FROM analytics.revenue_total WHERE id = 1`,
  ...AGGREGATE_TABLES.map(
    ({ aggregate, table }) =>
      `SELECT '${aggregate}', ${FIGURE_COLUMNS.map((c) => `COALESCE(sum(${c}), 0)::text`).join(', ')} FROM ${table}`,
  ),
].join('\nUNION ALL ');

/** The row's key as text: its key columns joined by `|` (a store × day: `S001|2024-03-01`). */
export const keyText = (t: AggregateTable, side: string) =>
  t.keys
    .map((k) => (k.column === 'day' ? `to_char(${side}.day, 'YYYY-MM-DD')` : `${side}.${k.column}`))
    .join(` || '|' || `);

/**
 * Every row of `t` that differs from what the counted facts add up to for its key: the key columns (`k_<column>`),
 * the key as text (`key`), then the recomputed (`e_…`) and the stored (`a_…`) figures as text, zero where a side
 * has no row. A full read of the facts: run when a table's sum is off (to name the rows) and by a repair.
 */
export function rowsDifferingFromFacts(t: AggregateTable): string {
  const keyColumns = t.keys.map((k) => k.column);
  const expected = `SELECT ${t.keys.map((k) => `${k.fromFact} AS ${k.column}`).join(', ')}, ${FACT_SUMS}
      FROM analytics.sale_facts f LEFT JOIN analytics.store_dim d ON d.store_id = f.store_id
     WHERE f.counted GROUP BY ${keyColumns.map((_, i) => i + 1).join(', ')}`;
  const figures = (side: 'e' | 'a') =>
    `(${FIGURE_COLUMNS.map((c) => `COALESCE(${side}.${c}, 0)`).join(', ')})`;
  return `WITH e AS (${expected})
    SELECT ${keyColumns.map((c) => `COALESCE(e.${c}, a.${c}) AS k_${c}`).join(', ')},
           COALESCE(${keyText(t, 'e')}, ${keyText(t, 'a')}) AS key,
           ${FIGURE_COLUMNS.map((c) => `COALESCE(e.${c}, 0)::text AS e_${c}, COALESCE(a.${c}, 0)::text AS a_${c}`).join(', ')}
      FROM e FULL JOIN ${t.table} a ON ${keyColumns.map((c) => `e.${c} = a.${c}`).join(' AND ')}
     WHERE ${figures('e')} IS DISTINCT FROM ${figures('a')}
     ORDER BY key`;
}

/** The figures of side `e` (recomputed) or `a` (stored) of a row of {@link rowsDifferingFromFacts}. */
export function figuresOf(row: Record<string, string | null>, side: 'e' | 'a'): AggregateFigures {
  const get = (c: string) => row[`${side}_${c}`] ?? '0';
  return {
    units: get('units'),
    revenue: get('revenue'),
    sales: get('sales'),
    returns: get('returns'),
    returnsRevenue: get('returns_revenue'),
  };
}
