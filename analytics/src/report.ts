import pg from 'pg';

export interface Report {
  revenue_total: { revenue: string; units: number; sales: number };
  by_product: Array<{
    product_id: string;
    name: string | null;
    units: number;
    revenue: string;
    sales: number;
  }>;
  by_region: Array<{ region: string; units: number; revenue: string; sales: number }>;
  by_city: Array<{ city: string; region: string | null; units: number; revenue: string; sales: number }>;
  by_store: Array<{
    store_id: string;
    city: string | null;
    region: string | null;
    units: number;
    revenue: string;
    sales: number;
  }>;
  by_day: Array<{ day: string; units: number; revenue: string; sales: number }>;
  data_quality: { rejected_rows: number; pending_sales: number };
}

/** Reads the aggregates (as the reporting role). Money stays an exact decimal string with two decimals. */
export async function readReport(databaseUrl: string): Promise<Report> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows;
    const total = (
      await q<{ revenue: string; units: string; sales: string }>(
        'SELECT revenue::text, units, sales FROM analytics.revenue_total WHERE id = 1',
      )
    )[0];
    const n = (v: string | number) => Number(v);
    const byProduct = await q<{
      product_id: string;
      name: string | null;
      units: string;
      revenue: string;
      sales: string;
    }>(
      `SELECT a.product_id, p.name, a.units, a.revenue::text, a.sales FROM analytics.by_product a
         LEFT JOIN products p USING (product_id) WHERE a.sales <> 0 ORDER BY a.revenue DESC, a.product_id`,
    );
    const byRegion = await q<{ region: string; units: string; revenue: string; sales: string }>(
      'SELECT r.region, r.units, r.revenue::text AS revenue, r.sales FROM analytics.by_region r WHERE r.sales <> 0 ORDER BY r.revenue DESC, r.region',
    );
    const byCity = await q<{
      city: string;
      region: string | null;
      units: string;
      revenue: string;
      sales: string;
    }>(
      `SELECT a.city, (SELECT min(region) FROM analytics.store_dim d WHERE d.city = a.city) AS region, a.units, a.revenue::text, a.sales
         FROM analytics.by_city a WHERE a.sales <> 0 ORDER BY a.revenue DESC, a.city`,
    );
    const byStore = await q<{
      store_id: string;
      city: string | null;
      region: string | null;
      units: string;
      revenue: string;
      sales: string;
    }>(
      `SELECT a.store_id, d.city, d.region, a.units, a.revenue::text, a.sales FROM analytics.by_store a
         LEFT JOIN analytics.store_dim d USING (store_id) WHERE a.sales <> 0 ORDER BY a.revenue DESC, a.store_id`,
    );
    const byDay = await q<{ day: string; units: string; revenue: string; sales: string }>(
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
        units: n(total?.units ?? 0),
        sales: n(total?.sales ?? 0),
      },
      by_product: byProduct.map((r) => ({
        product_id: r.product_id,
        name: r.name,
        units: n(r.units),
        revenue: r.revenue,
        sales: n(r.sales),
      })),
      by_region: byRegion.map((r) => ({
        region: r.region,
        units: n(r.units),
        revenue: r.revenue,
        sales: n(r.sales),
      })),
      by_city: byCity.map((r) => ({
        city: r.city,
        region: r.region,
        units: n(r.units),
        revenue: r.revenue,
        sales: n(r.sales),
      })),
      by_store: byStore.map((r) => ({
        store_id: r.store_id,
        city: r.city,
        region: r.region,
        units: n(r.units),
        revenue: r.revenue,
        sales: n(r.sales),
      })),
      by_day: byDay.map((r) => ({ day: r.day, units: n(r.units), revenue: r.revenue, sales: n(r.sales) })),
      data_quality: { rejected_rows: n(quality?.rejected ?? 0), pending_sales: n(quality?.pending ?? 0) },
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

/** The report as readable tables: the client's three analyses, then by city, store and day. */
export function formatReport(report: Report): string {
  const t = report.revenue_total;
  return [
    `Chiffre d'affaires total : ${euros(t.revenue)} — ${t.units} unités, ${t.sales} ventes`,
    table(
      '\nVentes par produit',
      ['produit', 'nom', 'unités', 'ventes', "chiffre d'affaires"],
      report.by_product.map((r) => [
        r.product_id,
        r.name ?? '?',
        String(r.units),
        String(r.sales),
        euros(r.revenue),
      ]),
    ),
    table(
      '\nVentes par région',
      ['région', 'unités', 'ventes', "chiffre d'affaires"],
      report.by_region.map((r) => [r.region, String(r.units), String(r.sales), euros(r.revenue)]),
    ),
    table(
      '\nVentes par ville',
      ['ville', 'région', 'unités', 'ventes', "chiffre d'affaires"],
      report.by_city.map((r) => [
        r.city,
        r.region ?? '?',
        String(r.units),
        String(r.sales),
        euros(r.revenue),
      ]),
    ),
    table(
      '\nVentes par magasin',
      ['magasin', 'ville', 'unités', 'ventes', "chiffre d'affaires"],
      report.by_store.map((r) => [
        r.store_id,
        r.city ?? '?',
        String(r.units),
        String(r.sales),
        euros(r.revenue),
      ]),
    ),
    table(
      '\nVentes par jour',
      ['jour', 'unités', 'ventes', "chiffre d'affaires"],
      report.by_day.map((r) => [r.day, String(r.units), String(r.sales), euros(r.revenue)]),
    ),
    `\nQualité des données : ${report.data_quality.rejected_rows} ligne(s) rejetée(s), ${report.data_quality.pending_sales} vente(s) en attente d'un produit ou d'un magasin`,
  ].join('\n');
}
