/// <reference lib="dom" />
import { formatCount, formatMoney, type Locale } from '../shared/format.ts';
import type { ExplanationView } from '../shared/types.ts';
import { byId, h } from './dom.ts';
import { label } from './i18n.ts';

/**
 * The explanation of a figure, opened by a click on a row of a breakdown: what `sales-pipeline report
 * explain <dimension> <key>` prints, from `GET /api/explain`. The aggregate, the sum of its sales and
 * whether they agree, then the sales, 50 a page, each with its feed and line (or HTTP source and id) and
 * its Kafka position. Every value is the client's data: text only.
 */

export interface ExplainPanel {
  open(dimension: string, key: string): void;
}

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);

export function createExplainPanel(locale: () => Locale): ExplainPanel {
  const title = h('h3', {});
  const summary = h('p', { testid: 'explain-summary' });
  const rows = h('tbody', {});
  const table = h('table', { testid: 'explain-sales' }, rows);
  const more = h('button', { testid: 'explain-more', i18n: 'moreSales' });
  const close = h('button', { testid: 'explain-close', i18n: 'close' });
  const panel = h(
    'section',
    { class: 'panel explain', testid: 'explain' },
    title,
    summary,
    table,
    more,
    close,
  );
  panel.hidden = true;
  byId('sales').append(panel);
  let current: { dimension: string; key: string; next: string | null } | undefined;

  const load = async (dimension: string, key: string, after: string | null) => {
    const query = new URLSearchParams({ dimension, key, ...(after ? { after } : {}) });
    const response = await fetch(`/api/explain?${query.toString()}`);
    const body = (await response.json()) as ExplanationView | { error: string };
    const l = locale();
    if ('error' in body) {
      summary.textContent = body.error;
      return;
    }
    current = { dimension, key, next: body.page.next };
    summary.textContent =
      fill(label('explainSum', l), {
        count: formatCount(Number(body.sum.sales) + Number(body.sum.returns), l),
        sum: formatMoney(body.sum.revenue, l),
        figure: body.aggregate ? formatMoney(body.aggregate.revenue, l) : '–',
      }) +
      ` — ${label(body.equal ? 'explainEqual' : 'explainDiffers', l)}` +
      (body.difference ? ` (${body.difference.detail})` : '');
    const lines = body.contributions.map((c) =>
      h(
        'tr',
        { testid: 'explain-sale' },
        h('td', { class: 'text' }, c.sale_id),
        h(
          'td',
          { class: 'text' },
          c.source.id !== null ? `${c.source.feed} #${c.source.id}` : `${c.source.feed}:${c.source.line}`,
        ),
        h(
          'td',
          { class: 'text' },
          `${c.kafka.topic ?? '?'}/${c.kafka.partition ?? '?'}@${c.kafka.offset ?? '?'}`,
        ),
        h('td', { class: 'text' }, c.sold_on),
        h('td', { class: 'num' }, formatCount(c.quantity, l)),
        h('td', { class: 'num' }, c.amount === null ? c.status : formatMoney(c.amount, l)),
      ),
    );
    if (after) rows.append(...lines);
    else rows.replaceChildren(...lines);
    more.hidden = body.page.next === null;
  };

  more.addEventListener('click', () => {
    if (current?.next) void load(current.dimension, current.key, current.next);
  });
  close.addEventListener('click', () => {
    panel.hidden = true;
  });
  return {
    open(dimension, key) {
      title.textContent = `${label('explain', locale())}: ${dimension} ${key}`;
      summary.textContent = '…';
      rows.replaceChildren();
      panel.hidden = false;
      void load(dimension, key, null).catch(() => {
        summary.textContent = label('dashboardDown', locale());
      });
      panel.scrollIntoView({ block: 'nearest' });
    },
  };
}
