/// <reference lib="dom" />
import { formatCount, type Locale } from '../shared/format.ts';
import type { SalesSection, SourceView } from '../shared/types.ts';
import { byId, h, SortableTable } from './dom.ts';
import { label } from './i18n.ts';

/**
 * The sources panel (in the sales grid): every source of sales side by side, the feeds the producer reads
 * (files and URLs) and the sources pushing to the ingest server (HTTP), each with its pace over the last
 * minute, its lines, its rejected rows and its last line. Source names are the client's data: text only.
 */

export interface SourcesPanel {
  render(sales: SalesSection, locale: Locale): void;
}

export function createSourcesPanel(dateTime: (iso: string | null) => string): SourcesPanel {
  const table = h('table', { id: 't-sources', testid: 'sources' });
  const empty = h('p', { class: 'muted', i18n: 'noSource' });
  byId('sales-panels').append(h('div', { class: 'panel' }, h('h3', { i18n: 'sources' }), table, empty));
  const rows = new SortableTable<SourceView>(
    table,
    [
      { key: 'name', label: 'source', kind: 'text', text: (r) => `${r.stale ? '⏸ ' : ''}${r.name}` },
      {
        key: 'kind',
        label: 'sourceKind',
        kind: 'text',
        text: (r, l) => (r.kind === null ? '–' : label(r.kind === 'http' ? 'kindHttp' : 'kindFeed', l)),
      },
      {
        key: 'perSecond',
        label: 'perSecond',
        kind: 'count',
        text: (r, l) =>
          r.perSecond === null
            ? '–'
            : r.perSecond.toLocaleString(l === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1 }),
      },
      { key: 'lines', label: 'lines', kind: 'count', text: (r, l) => formatCount(r.lines, l) },
      { key: 'rejected', label: 'rejectedRows', kind: 'count', text: (r, l) => formatCount(r.rejected, l) },
      { key: 'lastGrowthAt', label: 'lastGrowth', kind: 'text', text: (r) => dateTime(r.lastGrowthAt) },
    ],
    (r) => r.name,
  );
  return {
    render(s, l) {
      rows.update(s.sources, l);
      table.hidden = s.sources.length === 0;
      empty.hidden = s.sources.length > 0;
    },
  };
}
