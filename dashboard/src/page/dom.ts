/// <reference lib="dom" />
import type { Locale } from '../shared/format.ts';
import { barLengths, sortRows, type ColumnKind, type SortDirection } from '../shared/view.ts';
import { label, type LabelKey } from './i18n.ts';

/**
 * DOM helpers. Every piece of data becomes a text node (textContent): a product named `<script>` or
 * `<!channel>` is shown as those characters, never parsed. Nothing here uses innerHTML.
 */

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { id?: string; class?: string; title?: string; testid?: string; i18n?: LabelKey } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.id) element.id = props.id;
  if (props.class) element.className = props.class;
  if (props.title) element.title = props.title;
  // The page's own words are written in by renderLabels (app.ts), in the chosen language.
  if (props.i18n) element.dataset.i18n = props.i18n;
  if (props.testid) element.dataset.testid = props.testid;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

/**
 * The page's repeated block: a panel with a title and one table, appended to the element `parentId`.
 * Returns the table (id `t-<name>`, data-testid `testid`).
 */
export function tablePanel(
  parentId: string,
  title: LabelKey,
  name: string,
  testid: string,
): HTMLTableElement {
  const table = h('table', { id: `t-${name}`, testid });
  byId(parentId).append(h('div', { class: 'panel' }, h('h3', { i18n: title }), table));
  return table;
}

export interface Column<T> {
  key: keyof T & string;
  label: LabelKey;
  kind: ColumnKind;
  /** The cell's text (default: the value as is). */
  text?: (row: T, locale: Locale) => string;
  /** A bar of the column's value next to it, in percent of the largest. */
  bar?: boolean;
  className?: (row: T) => string | undefined;
}

/**
 * A table sortable by clicking a column's header (again to reverse), kept across updates. Each row
 * carries `data-key` (the row's id) so that it can be found by what it is.
 */
export class SortableTable<T extends object> {
  private rows: readonly T[] = [];
  private sort: { key: keyof T & string; direction: SortDirection } | undefined;
  /** When set, a row is a button: a click (or Enter) on it calls this. */
  onRowClick: ((row: T) => void) | undefined;

  constructor(
    private readonly table: HTMLTableElement,
    private readonly columns: Array<Column<T>>,
    private readonly rowKey: (row: T) => string,
    initialSort?: { key: keyof T & string; direction: SortDirection },
    private readonly sortable = true,
  ) {
    this.sort = initialSort;
  }

  update(rows: readonly T[], locale: Locale): void {
    this.rows = rows;
    this.render(locale);
  }

  render(locale: Locale): void {
    const column = this.columns.find((c) => c.key === this.sort?.key);
    const rows =
      this.sort && column
        ? sortRows(this.rows, this.sort.key, column.kind, this.sort.direction, locale)
        : this.rows;
    const head = h(
      'tr',
      {},
      ...this.columns.flatMap((c) => {
        const th = h('th', { class: c.kind === 'text' ? '' : 'num' }, label(c.label, locale));
        if (this.sortable) {
          th.classList.add('sortable');
          th.tabIndex = 0;
          th.setAttribute(
            'aria-sort',
            this.sort?.key === c.key ? (this.sort.direction === 'asc' ? 'ascending' : 'descending') : 'none',
          );
          const toggle = () => {
            const direction: SortDirection =
              this.sort?.key === c.key
                ? this.sort.direction === 'asc'
                  ? 'desc'
                  : 'asc'
                : c.kind === 'text'
                  ? 'asc'
                  : 'desc';
            this.sort = { key: c.key, direction };
            this.render(locale);
          };
          th.addEventListener('click', toggle);
          th.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' || e.key === ' ') toggle();
          });
        }
        return c.bar ? [th, h('th', {})] : [th];
      }),
    );
    const bars = new Map(
      this.columns.filter((c) => c.bar).map((c) => [c.key, barLengths(rows.map((r) => String(r[c.key])))]),
    );
    const body = rows.map((row, index) => {
      const tr = h(
        'tr',
        {},
        ...this.columns.flatMap((c) => {
          const value = row[c.key] as unknown;
          const text = c.text
            ? c.text(row, locale)
            : value === null || value === undefined
              ? '–'
              : String(value);
          const td = h('td', { class: c.kind === 'text' ? 'text' : 'num' }, text);
          const extra = c.className?.(row);
          if (extra) td.classList.add(extra);
          if (!c.bar) return [td];
          const bar = h('div', { class: 'bar' });
          bar.style.width = `${bars.get(c.key)?.[index] ?? 0}%`;
          return [td, h('td', { class: 'barcell' }, bar)];
        }),
      );
      tr.dataset.key = this.rowKey(row);
      const open = this.onRowClick;
      if (open) {
        tr.classList.add('clickable');
        tr.tabIndex = 0;
        tr.addEventListener('click', () => open(row));
        tr.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') open(row);
        });
      }
      return tr;
    });
    this.table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...body));
  }
}
