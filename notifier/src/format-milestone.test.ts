import { describe, expect, it } from 'vitest';
import { detectMilestones, type Milestone } from './detect-milestones.ts';
import { stepsCrossed } from './milestone-steps.ts';
import { escapeSlackText, formatMilestone } from './format-milestone.ts';
import { rulesSchema } from './config.ts';

const rules = rulesSchema.parse({});
const change = (table: string, before: object | null, after: object | null, op = 'u') =>
  JSON.stringify({ op, before, after, source: { schema: table.split('.')[0], table: table.split('.')[1] } });

describe('detectMilestones', () => {
  it('makes each step crossed by one change its own milestone', () => {
    expect(stepsCrossed(900n, 3100n, 1000n, 'multiples')).toEqual([1000n, 2000n, 3000n]);
    expect(stepsCrossed(900n, 3100n, 1000n, '1-2-5')).toEqual([1000n, 2000n]);
    const { milestones } = detectMilestones(
      change('analytics.revenue_total', { revenue: '999.99' }, { revenue: '2000.00' }),
      rules,
    );
    expect(milestones.map((m) => [m.rule, m.subject, m.step])).toEqual([
      ['revenue_total', 'total', '1000'],
      ['revenue_total', 'total', '2000'],
    ]);
  });

  it('reports every step up to the value on a snapshot event (no before image)', () => {
    const { milestones } = detectMilestones(
      change('analytics.by_product', null, { product_id: 'REF004', units: '51' }, 'r'),
      rules,
    );
    expect(milestones.map((m) => m.step)).toEqual(['25', '50']);
  });

  it('finds a single sale of 500 € or more once, not again when it is updated', () => {
    const big = {
      sale_id: 's1',
      status: 'complete',
      amount: '599.90',
      product_id: 'P',
      store_id: '1',
      quantity: 10,
    };
    expect(detectMilestones(change('public.sales', null, big, 'c'), rules).milestones).toHaveLength(1);
    expect(
      detectMilestones(change('public.sales', big, { ...big, quantity: 11, amount: '659.89' }), rules)
        .milestones,
    ).toEqual([]);
    expect(
      detectMilestones(change('public.sales', null, { ...big, status: 'pending', amount: null }, 'c'), rules)
        .milestones,
    ).toEqual([]);
  });

  it('ignores a decrease and a delete', () => {
    expect(
      detectMilestones(change('analytics.revenue_total', { revenue: '2500' }, { revenue: '1500' }), rules)
        .milestones,
    ).toEqual([]);
    expect(
      detectMilestones(change('analytics.revenue_total', { revenue: '2500' }, null, 'd'), rules).milestones,
    ).toEqual([]);
  });
});

describe('formatMilestone', () => {
  const revenue: Milestone = {
    rule: 'revenue_total',
    subject: 'total',
    step: '5000',
    payload: { revenue: '5268.78' },
  };

  it('speaks French by default, English on request', () => {
    expect(formatMilestone(revenue, {}, 'fr').text).toBe(
      "🎉 Le chiffre d'affaires total vient de dépasser 5\u202f000 €",
    );
    expect(formatMilestone(revenue, {}, 'en').text).toBe('🎉 Total revenue just passed €5,000');
  });

  it.each(['<!channel>', '@here', '<https://evil.example|offre>', '*Luxe*'])(
    'shows the product name %j as literal text',
    (name) => {
      const milestone: Milestone = {
        rule: 'product_units',
        subject: 'P1',
        step: '25',
        payload: { product_id: 'P1' },
      };
      const message = formatMilestone(milestone, { productName: name }, 'fr');
      // Block Kit plain_text is never parsed for mentions, links or formatting.
      expect(message.blocks).toEqual([
        {
          type: 'section',
          text: { type: 'plain_text', text: `📦 ${name} : 25 unités vendues`, emoji: true },
        },
      ]);
      // The fallback text has Slack's control characters escaped.
      expect(message.text).not.toMatch(/[<>]/);
      expect(message.text).toContain(escapeSlackText(name));
    },
  );

  it('tells of a held feed version, with what to do, the feed name as literal text', () => {
    const held: Milestone = {
      rule: 'feed_held',
      subject: '<!channel>',
      step: '1',
      payload: { feed: '<!channel>', cancels: 20, live_sales: 30 },
    };
    const message = formatMilestone(held, {}, 'en');
    expect(message.blocks[0]?.text.text).toBe(
      '⚠️ Feed <!channel>: new version held back, it would cancel 20 of its 30 sales. Nothing applied; if intended: sales-pipeline feed accept <!channel>',
    );
    expect(message.text).not.toMatch(/[<>]/);
  });
});
