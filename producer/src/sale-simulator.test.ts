import { describe, expect, it } from 'vitest';
import { rhythm, SaleSimulator } from './sale-simulator.ts';

const products = ['REF001', 'REF002', 'REF003', 'REF004', 'REF005'].map((product_id) => ({ product_id }));
const stores = [
  { store_id: '1', employees: 10 },
  { store_id: '2', employees: 1 },
];

describe('SaleSimulator', () => {
  it('writes lines in the client’s format, the same for the same seed', () => {
    const at = new Date('2026-11-22T12:00:00Z');
    const a = new SaleSimulator(products, stores, { seed: 42 });
    const b = new SaleSimulator(products, stores, { seed: 42 });
    const lines = Array.from({ length: 1000 }, () => a.line(at));
    expect(Array.from({ length: 1000 }, () => b.line(at))).toEqual(lines);
    for (const line of lines) expect(line).toMatch(/^2026-11-22,REF00[1-5],\d+,[12]$/);
  });

  it('favours popular products and big stores, with occasional bulk orders', () => {
    const simulator = new SaleSimulator(products, stores, { seed: 7, bulkShare: 0.02 });
    const at = new Date('2026-11-22T12:00:00Z');
    const fields = Array.from({ length: 20_000 }, () => simulator.line(at).split(','));
    const count = (f: (x: string[]) => boolean) => fields.filter(f).length;
    expect(count((x) => x[1] === 'REF001')).toBeGreaterThan(count((x) => x[1] === 'REF005') * 3);
    expect(count((x) => x[3] === '1')).toBeGreaterThan(count((x) => x[3] === '2') * 5);
    const bulk = count((x) => Number(x[2]) >= 20);
    expect(bulk).toBeGreaterThan(200);
    expect(bulk).toBeLessThan(700);
    expect(count((x) => Number(x[2]) < 1 || Number(x[2]) > 60)).toBe(0);
  });

  it('refuses to simulate without products or stores', () => {
    expect(() => new SaleSimulator([], stores, { seed: 1 })).toThrow(/at least one product/);
  });
});

describe('rhythm', () => {
  it('averages 1 over a week, busy at lunch on Saturday, quiet at night', () => {
    let sum = 0;
    for (let h = 0; h < 24 * 7; h++) sum += rhythm(new Date(Date.UTC(2026, 10, 22, h)));
    expect(sum / (24 * 7)).toBeCloseTo(1, 5);
    expect(rhythm(new Date('2026-11-28T12:00:00Z'))).toBeGreaterThan(2);
    expect(rhythm(new Date('2026-11-24T03:00:00Z'))).toBeLessThan(0.1);
  });
});
