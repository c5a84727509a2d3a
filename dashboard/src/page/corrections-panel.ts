/// <reference lib="dom" />
import { formatCount, type Locale } from '../shared/format.ts';
import type { CorrectionView, HeldFeedView, SalesSection } from '../shared/types.ts';
import { byId, h, SortableTable } from './dom.ts';
import { label } from './i18n.ts';

/**
 * The corrections panel (in the sales grid): the feeds held back, as warnings, then the last sales a
 * feed amended or cancelled, newest first. Feed names and reasons are the client's data: text only.
 */

export interface CorrectionsPanel {
  render(sales: SalesSection, locale: Locale): void;
}

/** `{name}` placeholders filled in one pass (a value that contains `{…}` is left as it is). */
const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

/** `dateTime` writes a timestamp as the page does. */
export function createCorrectionsPanel(dateTime: (iso: string | null) => string): CorrectionsPanel {
  const held = h('ul', { class: 'warnings', testid: 'held-feeds' });
  const table = h('table', { id: 't-corrections', testid: 'corrections' });
  const empty = h('p', { class: 'muted', i18n: 'noCorrection' });
  byId('sales-panels').append(
    h('div', { class: 'panel' }, h('h3', { i18n: 'corrections' }), held, table, empty),
  );
  const corrections = new SortableTable<CorrectionView>(
    table,
    [
      { key: 'recordedAt', label: 'at', kind: 'text', text: (r) => dateTime(r.recordedAt) },
      {
        key: 'op',
        label: 'change',
        kind: 'text',
        text: (r, l) => label(r.op === 'cancellation' ? 'cancellation' : 'amendment', l),
      },
      // A sale's id starts with its feed's name.
      { key: 'saleId', label: 'sale', kind: 'text' },
      { key: 'productId', label: 'product', kind: 'text' },
      {
        key: 'quantity',
        label: 'quantity',
        kind: 'count',
        text: (r, l) => (r.quantity === null ? '–' : formatCount(r.quantity, l)),
      },
    ],
    (r) => `${r.saleId}/${r.rev}`,
  );
  const heldLine = (f: HeldFeedView, l: Locale) =>
    fill(label('heldFeed', l), {
      feed: f.feed,
      at: dateTime(f.heldAt),
      cancels: formatCount(f.cancels, l),
      live: formatCount(f.liveSales, l),
      reason: f.reason,
    });
  return {
    render(s, l) {
      held.replaceChildren(...s.heldFeeds.map((f) => h('li', { testid: 'held-feed' }, heldLine(f, l))));
      corrections.update(s.corrections, l);
      table.hidden = s.corrections.length === 0;
      empty.hidden = s.corrections.length > 0;
    },
  };
}
