/// <reference lib="dom" />
import { formatCount, formatMoney, type Locale } from '../shared/format.ts';
import type { Figures, SalesSection } from '../shared/types.ts';
import { byId, h, setText, SortableTable, tablePanel, type Column } from './dom.ts';
import type { LabelKey } from './i18n.ts';

/**
 * The sales section's figures: the key numbers (gross sales, returns, net revenue, counts) and the four
 * breakdowns (by product, region, city, best stores), each a sortable table sharing the same units /
 * sales / net revenue / returns columns.
 */

/** The key numbers, in page order: label, the id suffix of its `kpi-…` element, and its text. */
const KPIS: ReadonlyArray<readonly [LabelKey, string, (s: SalesSection, l: Locale) => string]> = [
  ['grossRevenue', 'gross-revenue', (s, l) => formatMoney(s.totals.grossRevenue, l)],
  ['returnsRevenue', 'returns-revenue', (s, l) => formatMoney(s.totals.returnsRevenue, l)],
  ['revenue', 'revenue', (s, l) => formatMoney(s.totals.revenue, l)],
  ['units', 'units', (s, l) => formatCount(s.totals.units, l)],
  ['salesCount', 'sales', (s, l) => formatCount(s.totals.sales, l)],
  ['returnsCount', 'returns', (s, l) => formatCount(s.totals.returns, l)],
  ['pending', 'pending', (s, l) => formatCount(s.quality.pendingSales, l)],
  ['rejected', 'rejected', (s, l) => formatCount(s.quality.rejectedRows, l)],
];

type TextKey = 'productId' | 'storeId' | 'name' | 'region' | 'city';
/** A row of any breakdown: the counts and the amounts, and the text fields it has. */
type BreakdownRow = Figures & Partial<Record<TextKey, string | null>>;

/** The header of each text column. */
const TEXT_LABELS: Record<TextKey, LabelKey> = {
  productId: 'product',
  storeId: 'store',
  name: 'name',
  region: 'region',
  city: 'city',
};

/**
 * The four breakdowns, in page order: the section's field (also the panel's title), the table's name
 * (id `t-<name>`), its data-testid, and the text columns before units / sales / revenue. The first of
 * these identifies a row; a missing name, region or city is shown as `?`.
 */
const BREAKDOWNS: ReadonlyArray<{
  field: 'byProduct' | 'byRegion' | 'byCity' | 'bestStores';
  name: 'product' | 'region' | 'city' | 'store';
  testid: string;
  leading: readonly [TextKey, ...TextKey[]];
}> = [
  { field: 'byProduct', name: 'product', testid: 'by-product', leading: ['productId', 'name'] },
  { field: 'byRegion', name: 'region', testid: 'by-region', leading: ['region'] },
  { field: 'byCity', name: 'city', testid: 'by-city', leading: ['city', 'region'] },
  { field: 'bestStores', name: 'store', testid: 'best-stores', leading: ['storeId', 'city'] },
];

const count = (key: 'units' | 'sales') => (row: BreakdownRow, locale: Locale) =>
  formatCount(row[key], locale);

/**
 * The columns every breakdown ends with: units, sales, net revenue (with its bar), then what the returns
 * took back. Sorted by net revenue, largest first, until a header is clicked.
 */
function breakdownTable({
  field,
  name,
  testid,
  leading,
}: (typeof BREAKDOWNS)[number]): SortableTable<BreakdownRow> {
  return new SortableTable<BreakdownRow>(
    tablePanel('sales-panels', field, name, testid),
    [
      ...leading.map((key): Column<BreakdownRow> => ({
        key,
        label: TEXT_LABELS[key],
        kind: 'text',
        text: (row) => String(row[key] ?? '?'),
      })),
      { key: 'units', label: 'units', kind: 'count', text: count('units') },
      { key: 'sales', label: 'salesCount', kind: 'count', text: count('sales') },
      {
        key: 'revenue',
        label: 'revenue',
        kind: 'money',
        text: (r, l) => formatMoney(r.revenue, l),
        bar: true,
      },
      {
        key: 'returnsRevenue',
        label: 'returnsRevenue',
        kind: 'money',
        text: (r, l) => formatMoney(r.returnsRevenue, l),
      },
    ],
    (row) => String(row[leading[0]]),
    { key: 'revenue', direction: 'desc' },
  );
}

export interface SalesPanels {
  render(sales: SalesSection, locale: Locale): void;
}

/**
 * Builds the key numbers and the breakdown panels into the page (#kpis, #sales-panels). A click on a
 * row calls `explain` with the breakdown's dimension (product, region, city, store) and the row's key.
 */
export function createSalesPanels(explain?: (dimension: string, key: string) => void): SalesPanels {
  byId('kpis').append(
    ...KPIS.map(([title, id]) =>
      h(
        'div',
        { class: 'kpi' },
        h('span', { i18n: title }),
        h('strong', { id: `kpi-${id}`, testid: `kpi-${id}` }, '–'),
      ),
    ),
  );
  const tables = BREAKDOWNS.map((breakdown) => {
    const table = breakdownTable(breakdown);
    if (explain) table.onRowClick = (row) => explain(breakdown.name, String(row[breakdown.leading[0]] ?? ''));
    return { field: breakdown.field, table };
  });
  return {
    render(s, l) {
      for (const [, id, text] of KPIS) setText(`kpi-${id}`, text(s, l));
      for (const { field, table } of tables) table.update(s[field], l);
    },
  };
}
