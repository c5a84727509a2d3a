/// <reference lib="dom" />
import type { Locale } from '../shared/format.ts';
import type { DeadLettersSection } from '../shared/types.ts';
import { byId, SortableTable, tablePanel } from './dom.ts';
import { label } from './i18n.ts';

/**
 * What did not go through: the sales waiting for a product or a store (a panel of the pipeline grid)
 * and the dead letters, the rejected lines newest first (their own panel, #t-rejected).
 */

export interface DeadLetterPanels {
  render(deadLetters: DeadLettersSection, locale: Locale): void;
}

/** `dateTime` writes a timestamp as the page does. */
export function createDeadLetterPanels(dateTime: (iso: string | null) => string): DeadLetterPanels {
  const pending = new SortableTable<DeadLettersSection['pending'][number]>(
    tablePanel('pipeline-panels', 'pendingSales', 'pending', 'pending'),
    [
      { key: 'productId', label: 'product', kind: 'text' },
      { key: 'storeId', label: 'store', kind: 'text' },
      { key: 'missing', label: 'missing', kind: 'text' },
      { key: 'sales', label: 'salesCount', kind: 'count' },
    ],
    (r) => `${r.productId}/${r.storeId}`,
  );
  const rejected = new SortableTable<DeadLettersSection['rejected'][number]>(
    byId<HTMLTableElement>('t-rejected'),
    [
      { key: 'rejectedAt', label: 'at', kind: 'text', text: (r) => dateTime(r.rejectedAt) },
      { key: 'stage', label: 'stage', kind: 'text' },
      {
        key: 'feed',
        label: 'where',
        kind: 'text',
        text: (r) => (r.feed ? `${r.feed}:${r.line ?? '?'}` : (r.topic ?? '?')),
      },
      {
        key: 'reason',
        label: 'reason',
        kind: 'text',
        text: (r, l) => (r.replayedAt ? `${r.reason} (${label('replayed', l)})` : r.reason),
      },
      { key: 'raw', label: 'raw', kind: 'text', className: () => 'raw' },
    ],
    (r) => String(r.id),
  );
  return {
    render(d, l) {
      pending.update(d.pending, l);
      rejected.update(d.rejected, l);
    },
  };
}
