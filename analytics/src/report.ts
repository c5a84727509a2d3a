import pg from 'pg';

/**
 * The figures every line of the report ends with. Money stays an exact decimal string with two decimals.
 * `units` and `revenue` are net (sales minus returns); `sales` counts sale lines, `returns` return lines;
 * `gross_revenue` is what the sales made and `returns_revenue` what the returns took back
 * (revenue = gross_revenue − returns_revenue).
 */
export interface Totals {
  units: number;
  sales: number;
  returns: number;
  gross_revenue: string;
  returns_revenue: string;
  revenue: string;
}

/** The corrections of one feed: versions that amended or cancelled a sale (`sale_versions`). */
export interface FeedCorrections {
  feed: string;
  amendments: number;
  cancellations: number;
}

/** A snapshot version of a feed the producer held back, not accepted yet (`feed_holds`). */
export interface HeldFeed {
  feed: string;
  reason: string;
  /** The sales the held version would cancel … */
  cancels: number;
  /** … of the feed's live sales. */
  live_sales: number;
  held_at: string;
}

export interface Report {
  revenue_total: Totals;
  by_product: Array<{ product_id: string; name: string | null } & Totals>;
  by_region: Array<{ region: string } & Totals>;
  by_city: Array<{ city: string; region: string | null } & Totals>;
  by_store: Array<{ store_id: string; city: string | null; region: string | null } & Totals>;
  by_day: Array<{ day: string } & Totals>;
  data_quality: {
    rejected_rows: number;
    pending_sales: number;
    corrections: FeedCorrections[];
    held_feeds: HeldFeed[];
  };
}

/** Totals as PostgreSQL returns them: counts as bigint text. */
type StoredTotals = Record<keyof Totals, string>;

/** The totals of an aggregate row `a`, in the order of {@link Totals}; gross revenue added up exactly. */
const TOTALS = `a.units, a.sales, a.returns, (a.revenue + a.returns_revenue)::text AS gross_revenue,
       a.returns_revenue::text AS returns_revenue, a.revenue::text AS revenue`;
/** The rows the report lists: those with a sale or a return counted. */
const COUNTED = '(a.sales <> 0 OR a.returns <> 0)';

/** A row read with its totals as numbers (its other columns first, as selected). */
function withTotals<K extends object>(row: K & StoredTotals): K & Totals {
  const { units, sales, returns, gross_revenue, returns_revenue, revenue, ...key } = row;
  return {
    ...(key as K),
    units: Number(units),
    sales: Number(sales),
    returns: Number(returns),
    gross_revenue,
    returns_revenue,
    revenue,
  };
}

const NO_TOTALS: Totals = {
  units: 0,
  sales: 0,
  returns: 0,
  gross_revenue: '0.00',
  returns_revenue: '0.00',
  revenue: '0.00',
};

/** Reads the aggregates (as the reporting role). Money stays an exact decimal string with two decimals. */
export async function readReport(databaseUrl: string): Promise<Report> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows;
    /** The rows of an aggregate with their totals: `key` is the type of the columns before them. */
    const rows = async <K extends object>(sql: string) =>
      (await q<K & StoredTotals>(sql)).map((row) => withTotals<K>(row));
    const [total] = await rows<object>(`SELECT ${TOTALS} FROM analytics.revenue_total a WHERE a.id = 1`);
    const byProduct = await rows<{ product_id: string; name: string | null }>(
      `SELECT a.product_id, p.name, ${TOTALS} FROM analytics.by_product a
         LEFT JOIN products p USING (product_id) WHERE ${COUNTED} ORDER BY a.revenue DESC, a.product_id`,
    );
    const byRegion = await rows<{ region: string }>(
      `SELECT a.region, ${TOTALS} FROM analytics.by_region a WHERE ${COUNTED} ORDER BY a.revenue DESC, a.region`,
    );
    const byCity = await rows<{ city: string; region: string | null }>(
      `SELECT a.city, (SELECT min(region) FROM analytics.store_dim d WHERE d.city = a.city) AS region, ${TOTALS}
         FROM analytics.by_city a WHERE ${COUNTED} ORDER BY a.revenue DESC, a.city`,
    );
    const byStore = await rows<{ store_id: string; city: string | null; region: string | null }>(
      `SELECT a.store_id, d.city, d.region, ${TOTALS} FROM analytics.by_store a
         LEFT JOIN analytics.store_dim d USING (store_id) WHERE ${COUNTED} ORDER BY a.revenue DESC, a.store_id`,
    );
    const byDay = await rows<{ day: string }>(
      `SELECT to_char(a.day, 'YYYY-MM-DD') AS day, ${TOTALS} FROM analytics.by_day a WHERE ${COUNTED} ORDER BY a.day`,
    );
    const quality = (
      await q<{ rejected: string; pending: string }>(
        `SELECT (SELECT count(*) FROM rejected_rows) AS rejected, (SELECT count(*) FROM sales WHERE status = 'pending') AS pending`,
      )
    )[0];
    const corrections = await q<{ feed: string; amendments: string; cancellations: string }>(
      `SELECT feed, count(*) FILTER (WHERE op = 'amendment') AS amendments,
              count(*) FILTER (WHERE op = 'cancellation') AS cancellations
         FROM sale_versions WHERE op IN ('amendment', 'cancellation') GROUP BY feed ORDER BY feed`,
    );
    const held = await q<{
      feed: string;
      reason: string;
      cancels: string;
      live_sales: string;
      held_at: Date;
    }>(
      `SELECT feed, reason, cancels, live_sales, held_at FROM feed_holds
        WHERE accepted_at IS NULL ORDER BY held_at, feed`,
    );
    return {
      revenue_total: total ?? NO_TOTALS,
      by_product: byProduct,
      by_region: byRegion,
      by_city: byCity,
      by_store: byStore,
      by_day: byDay,
      data_quality: {
        rejected_rows: Number(quality?.rejected ?? 0),
        pending_sales: Number(quality?.pending ?? 0),
        corrections: corrections.map((c) => ({
          feed: c.feed,
          amendments: Number(c.amendments),
          cancellations: Number(c.cancellations),
        })),
        held_feeds: held.map((h) => ({
          feed: h.feed,
          reason: h.reason,
          cancels: Number(h.cancels),
          live_sales: Number(h.live_sales),
          held_at: h.held_at.toISOString(),
        })),
      },
    };
  } finally {
    await client.end();
  }
}

/** `5268.78` → `5 268,78 €` (French grouping and decimal comma; the value is not re-computed). */
export function euros(decimal: string): string {
  const [units = '0', cents = '00'] = decimal.replace('-', '').split('.');
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return `${decimal.startsWith('-') ? '-' : ''}${grouped},${cents.padEnd(2, '0')} €`;
}

/** A table whose last `numeric` columns are right-aligned. */
function table(title: string, headers: string[], rows: string[][], numeric: number): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= headers.length - numeric ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ');
  return [title, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The last columns of every table: net units, sale and return lines, then brut − retours = net. */
const TOTAL_HEADERS = ['unités', 'ventes', 'retours', 'brut', '− retours', 'net'];

const totalCells = (t: Totals) => [
  String(t.units),
  String(t.sales),
  String(t.returns),
  euros(t.gross_revenue),
  euros(t.returns_revenue),
  euros(t.revenue),
];

/** One table of the report: the columns that name a line, then its totals. */
function section<R extends Totals>(title: string, keyHeaders: string[], rows: R[], key: (r: R) => string[]) {
  return table(
    `\n${title}`,
    [...keyHeaders, ...TOTAL_HEADERS],
    rows.map((r) => [...key(r), ...totalCells(r)]),
    TOTAL_HEADERS.length,
  );
}

/** The data quality lines: rejected and pending lines, then corrections and held feeds when there are. */
function qualityLines(quality: Report['data_quality']): string[] {
  const lines = [
    `\nQualité des données : ${quality.rejected_rows} ligne(s) rejetée(s), ${quality.pending_sales} vente(s) en attente d'un produit ou d'un magasin`,
  ];
  for (const c of quality.corrections)
    lines.push(
      `  corrections de ${c.feed} : ${c.amendments} modification(s), ${c.cancellations} annulation(s)`,
    );
  for (const h of quality.held_feeds)
    lines.push(
      `  ⚠ ${h.feed} retenu depuis ${h.held_at} : annulerait ${h.cancels} de ses ${h.live_sales} vente(s) (${h.reason})`,
    );
  return lines;
}

/** The report as readable tables: the client's three analyses, then by city, store and day. */
export function formatReport(report: Report): string {
  const t = report.revenue_total;
  return [
    `Chiffre d'affaires total : net ${euros(t.revenue)} (brut ${euros(t.gross_revenue)}, retours ${euros(t.returns_revenue)}) — ${t.units} unités, ${t.sales} ventes, ${t.returns} retours`,
    section('Ventes par produit', ['produit', 'nom'], report.by_product, (r) => [
      r.product_id,
      r.name ?? '?',
    ]),
    section('Ventes par région', ['région'], report.by_region, (r) => [r.region]),
    section('Ventes par ville', ['ville', 'région'], report.by_city, (r) => [r.city, r.region ?? '?']),
    section('Ventes par magasin', ['magasin', 'ville'], report.by_store, (r) => [r.store_id, r.city ?? '?']),
    section('Ventes par jour', ['jour'], report.by_day, (r) => [r.day]),
    ...qualityLines(report.data_quality),
  ].join('\n');
}
