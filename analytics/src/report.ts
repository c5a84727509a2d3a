import pg from 'pg';

/** The figures every line of the report ends with. Money stays an exact decimal string. */
export interface Totals {
  units: number;
  revenue: string;
  sales: number;
}

export interface Report {
  revenue_total: Totals;
  by_product: Array<{ product_id: string; name: string | null } & Totals>;
  by_region: Array<{ region: string } & Totals>;
  by_city: Array<{ city: string; region: string | null } & Totals>;
  by_store: Array<{ store_id: string; city: string | null; region: string | null } & Totals>;
  by_day: Array<{ day: string } & Totals>;
  data_quality: { rejected_rows: number; pending_sales: number };
}

/** Totals as PostgreSQL returns them: counts as bigint text. */
type StoredTotals = { units: string; revenue: string; sales: string };

/** A row read with its totals as numbers (its other columns first, as selected). */
function withTotals<K extends object>(row: K & StoredTotals): K & Totals {
  const { units, revenue, sales, ...key } = row;
  return { ...(key as K), units: Number(units), revenue, sales: Number(sales) };
}

/** Reads the aggregates (as the reporting role). Money stays an exact decimal string with two decimals. */
export async function readReport(databaseUrl: string): Promise<Report> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows;
    /** The rows of an aggregate with their totals: `key` is the type of the columns before them. */
    const rows = async <K extends object>(sql: string) =>
      (await q<K & StoredTotals>(sql)).map((row) => withTotals<K>(row));
    const [total] = await rows<object>(
      'SELECT revenue::text, units, sales FROM analytics.revenue_total WHERE id = 1',
    );
    const byProduct = await rows<{ product_id: string; name: string | null }>(
      `SELECT a.product_id, p.name, a.units, a.revenue::text, a.sales FROM analytics.by_product a
         LEFT JOIN products p USING (product_id) WHERE a.sales <> 0 ORDER BY a.revenue DESC, a.product_id`,
    );
    const byRegion = await rows<{ region: string }>(
      'SELECT r.region, r.units, r.revenue::text AS revenue, r.sales FROM analytics.by_region r WHERE r.sales <> 0 ORDER BY r.revenue DESC, r.region',
    );
    const byCity = await rows<{ city: string; region: string | null }>(
      `SELECT a.city, (SELECT min(region) FROM analytics.store_dim d WHERE d.city = a.city) AS region, a.units, a.revenue::text, a.sales
         FROM analytics.by_city a WHERE a.sales <> 0 ORDER BY a.revenue DESC, a.city`,
    );
    const byStore = await rows<{ store_id: string; city: string | null; region: string | null }>(
      `SELECT a.store_id, d.city, d.region, a.units, a.revenue::text, a.sales FROM analytics.by_store a
         LEFT JOIN analytics.store_dim d USING (store_id) WHERE a.sales <> 0 ORDER BY a.revenue DESC, a.store_id`,
    );
    const byDay = await rows<{ day: string }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, units, revenue::text, sales FROM analytics.by_day WHERE sales <> 0 ORDER BY day`,
    );
    const quality = (
      await q<{ rejected: string; pending: string }>(
        `SELECT (SELECT count(*) FROM rejected_rows) AS rejected, (SELECT count(*) FROM sales WHERE status = 'pending') AS pending`,
      )
    )[0];
    return {
      revenue_total: {
        revenue: total?.revenue ?? '0.00',
        units: total?.units ?? 0,
        sales: total?.sales ?? 0,
      },
      by_product: byProduct,
      by_region: byRegion,
      by_city: byCity,
      by_store: byStore,
      by_day: byDay,
      data_quality: {
        rejected_rows: Number(quality?.rejected ?? 0),
        pending_sales: Number(quality?.pending ?? 0),
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

function table(title: string, headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= headers.length - 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ');
  return [title, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The last three columns of every table. */
const TOTAL_HEADERS = ['unités', 'ventes', "chiffre d'affaires"];

/** One table of the report: the columns that name a line, then its totals. */
function section<R extends Totals>(title: string, keyHeaders: string[], rows: R[], key: (r: R) => string[]) {
  return table(
    `\n${title}`,
    [...keyHeaders, ...TOTAL_HEADERS],
    rows.map((r) => [...key(r), String(r.units), String(r.sales), euros(r.revenue)]),
  );
}

/** The report as readable tables: the client's three analyses, then by city, store and day. */
export function formatReport(report: Report): string {
  const t = report.revenue_total;
  return [
    `Chiffre d'affaires total : ${euros(t.revenue)} — ${t.units} unités, ${t.sales} ventes`,
    section('Ventes par produit', ['produit', 'nom'], report.by_product, (r) => [
      r.product_id,
      r.name ?? '?',
    ]),
    section('Ventes par région', ['région'], report.by_region, (r) => [r.region]),
    section('Ventes par ville', ['ville', 'région'], report.by_city, (r) => [r.city, r.region ?? '?']),
    section('Ventes par magasin', ['magasin', 'ville'], report.by_store, (r) => [r.store_id, r.city ?? '?']),
    section('Ventes par jour', ['jour'], report.by_day, (r) => [r.day]),
    `\nQualité des données : ${report.data_quality.rejected_rows} ligne(s) rejetée(s), ${report.data_quality.pending_sales} vente(s) en attente d'un produit ou d'un magasin`,
  ].join('\n');
}
