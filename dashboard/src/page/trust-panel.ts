/// <reference lib="dom" />
import { formatCount, formatMoney, type Locale } from '../shared/format.ts';
import type { SalesSection } from '../shared/types.ts';
import { byId, h } from './dom.ts';
import { label } from './i18n.ts';

/**
 * The trust panel (in the sales grid): up to when the aggregates are verified against the sales, the
 * drifts found (open until `sales-pipeline reconcile --repair`), and when each feed last grew, a stale one
 * as a warning. Feed names and keys are the client's data: text only.
 */

export interface TrustPanel {
  render(sales: SalesSection, locale: Locale): void;
}

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

export function createTrustPanel(dateTime: (iso: string | null) => string): TrustPanel {
  const verified = h('p', { testid: 'verified-through' });
  const warnings = h('ul', { class: 'warnings', testid: 'trust-warnings' });
  const feeds = h('ul', { class: 'feeds', testid: 'feeds' });
  byId('sales-panels').append(
    h('div', { class: 'panel', testid: 'trust' }, h('h3', { i18n: 'trust' }), verified, warnings, feeds),
  );
  return {
    render(s, l) {
      const t = s.trust;
      verified.textContent = t.verifiedThrough
        ? fill(label('verifiedThrough', l), {
            at: dateTime(t.verifiedThrough),
            checked: dateTime(t.checkedAt),
          }) +
          (t.behindSales > 0
            ? ` · ${fill(label('behindSales', l), { n: formatCount(t.behindSales, l) })}`
            : '')
        : label('notVerified', l);
      verified.className = t.drift.length > 0 ? 'bad' : 'ok';
      warnings.replaceChildren(
        ...t.drift.map((d) =>
          h(
            'li',
            { testid: 'drift' },
            fill(label('drift', l), {
              aggregate: d.aggregate,
              key: d.key,
              stored: formatMoney(d.storedRevenue, l),
              recomputed: formatMoney(d.recomputedRevenue, l),
            }),
          ),
        ),
        ...t.feeds
          .filter((f) => f.stale)
          .map((f) =>
            h(
              'li',
              { testid: 'stale-feed' },
              fill(label('feedStale', l), { feed: f.name, at: dateTime(f.lastGrowthAt) }),
            ),
          ),
      );
      feeds.replaceChildren(
        ...t.feeds.map((f) =>
          h(
            'li',
            { testid: 'feed' },
            `${f.stale ? '⏸ ' : ''}${f.name} — ${label('lastGrowth', l)} ${dateTime(f.lastGrowthAt)}`,
          ),
        ),
      );
    },
  };
}
