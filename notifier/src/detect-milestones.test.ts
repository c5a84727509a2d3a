import { describe, expect, it } from 'vitest';
import { detectMilestones } from './detect-milestones.ts';
import { rulesSchema } from './milestone-rules.ts';

const defaults = rulesSchema.parse({});
const change = (table: string, before: object | null, after: object | null, op = 'u') =>
  JSON.stringify({ op, before, after, source: { schema: table.split('.')[0], table: table.split('.')[1] } });
const steps = (value: string, rules = defaults) =>
  detectMilestones(value, rules).milestones.map((m) => m.step);

describe('detectMilestones compares money exactly (integer cents), never as floating point', () => {
  // Above 2^46 € a double cannot tell one cent from the next: 70 368 744 177 664.01 and .02 are the same number.
  it('sees a store day grow by one cent at any amount', () => {
    const found = detectMilestones(
      change(
        'analytics.by_store_day',
        { store_id: '1', day: '2024-03-01', revenue: '70368744177664.01' },
        { store_id: '1', day: '2024-03-01', revenue: '70368744177664.02' },
      ),
      defaults,
    );
    expect(found.bestDay).toEqual({ storeId: '1', day: '2024-03-01', revenue: '70368744177664.02' });
  });

  it('crosses a revenue step by one cent at any amount', () => {
    const rules = rulesSchema.parse({ revenueStepEuros: 1, stepSeries: 'multiples' });
    expect(
      steps(
        change('analytics.revenue_total', { revenue: '70368744177664.99' }, { revenue: '70368744177665.00' }),
        rules,
      ),
    ).toEqual(['70368744177665']);
    expect(
      steps(
        change('analytics.revenue_total', { revenue: '70368744177664.01' }, { revenue: '70368744177664.02' }),
        rules,
      ),
    ).toEqual([]);
  });

  it('takes a sale of exactly the threshold as big, one cent less not', () => {
    const rules = rulesSchema.parse({ bigSaleEuros: 0.3 });
    const sale = { sale_id: 's', status: 'complete', product_id: 'P', store_id: '1', quantity: 1 };
    expect(steps(change('public.sales', null, { ...sale, amount: '0.30' }, 'c'), rules)).toEqual(['0.3']);
    expect(steps(change('public.sales', null, { ...sale, amount: '0.29' }, 'c'), rules)).toEqual([]);
  });
});

describe('default steps grow as a person reads them (1-2-5)', () => {
  it('reports 1 k, 2 k, 5 k, 10 k, 20 k, 50 k … of total revenue', () => {
    expect(steps(change('analytics.revenue_total', { revenue: '0.00' }, { revenue: '123456.78' }))).toEqual([
      '1000',
      '2000',
      '5000',
      '10000',
      '20000',
      '50000',
      '100000',
    ]);
    expect(steps(change('analytics.revenue_total', { revenue: '5000.00' }, { revenue: '9999.99' }))).toEqual(
      [],
    );
  });

  it('reports 25, 50, 100, 200, 500 … units of a product, from its first step', () => {
    expect(
      steps(change('analytics.by_product', { product_id: 'P', units: 0 }, { product_id: 'P', units: 1234 })),
    ).toEqual(['25', '50', '100', '200', '500', '1000']);
  });

  it('keeps every multiple of the step with "stepSeries": "multiples"', () => {
    const rules = rulesSchema.parse({ stepSeries: 'multiples' });
    expect(
      steps(change('analytics.revenue_total', { revenue: '999.99' }, { revenue: '3100.00' }), rules),
    ).toEqual(['1000', '2000', '3000']);
  });
});

describe('net revenue that returns take back below a step', () => {
  /** The outbox's unique key of a milestone: (rule, subject, step). */
  const keys = (value: string) =>
    detectMilestones(value, defaults).milestones.map((m) => `${m.rule}|${m.subject}|${m.step}`);

  it('brings no milestone on the way down, and the same (rule, subject, step) when crossing it again', () => {
    const first = keys(change('analytics.revenue_total', { revenue: '990.00' }, { revenue: '1010.00' }));
    const returned = keys(change('analytics.revenue_total', { revenue: '1010.00' }, { revenue: '980.00' }));
    const again = keys(change('analytics.revenue_total', { revenue: '980.00' }, { revenue: '1005.00' }));
    expect(first).toEqual(['revenue_total|total|1000']);
    expect(returned).toEqual([]);
    // The outbox is unique per (rule, subject, step) and recordMilestones inserts ON CONFLICT DO NOTHING:
    // the second crossing records nothing, so it is never posted twice.
    expect(again).toEqual(first);
  });

  it('does the same for a product whose units a return takes back', () => {
    const units = (before: number, after: number) =>
      keys(
        change('analytics.by_product', { product_id: 'P', units: before }, { product_id: 'P', units: after }),
      );
    expect(units(24, 25)).toEqual(['product_units|P|25']);
    expect(units(25, 23)).toEqual([]);
    expect(units(23, 26)).toEqual(units(24, 25));
  });
});
