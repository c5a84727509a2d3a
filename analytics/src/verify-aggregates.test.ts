import { describe, expect, it } from 'vitest';
import type { AggregateFigures } from './aggregate-tables.ts';
import { aggregatesOff, sameFigures } from './verify-aggregates.ts';

const figures = (revenue: string, units = '3'): AggregateFigures => ({
  units,
  revenue,
  sales: '2',
  returns: '1',
  returnsRevenue: '5.00',
});

describe('aggregatesOff', () => {
  it('names every aggregate whose sum is not what the facts add up to, to the cent', () => {
    const sums = new Map([
      ['facts', figures('100.10')],
      ['revenue_total', figures('100.1')],
      ['by_product', figures('100.10')],
      ['by_city', figures('100.11')],
      ['by_day', figures('100.10', '4')],
    ]);
    expect(sameFigures(figures('100.1'), figures('100.10'))).toBe(true);
    expect(aggregatesOff(sums)).toEqual(['by_city', 'by_day']);
  });
});
