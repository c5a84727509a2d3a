import { describe, expect, it } from 'vitest';
import { MinuteSeries } from './minute-series.ts';

const at = (minute: number, second = 0) => Date.UTC(2026, 0, 1, 12, minute, second);

describe('MinuteSeries', () => {
  it('adds each change of the total to the minute it was seen in, exactly', () => {
    const s = new MinuteSeries(60);
    expect(s.seeded).toBe(false);
    s.seed([{ minute: at(0), revenue: '10.00', units: 1, sales: 1 }], {
      revenue: '110.00',
      units: 5,
      sales: 3,
    });
    expect(s.seeded).toBe(true);
    s.observe({ revenue: '110.10', units: 6, sales: 4 }, at(1, 5));
    s.observe({ revenue: '110.30', units: 7, sales: 5 }, at(1, 50));
    s.observe({ revenue: '110.30', units: 7, sales: 5 }, at(2, 1));
    s.observe({ revenue: '100.30', units: 6, sales: 4 }, at(3, 0));
    expect(s.points()).toEqual([
      { minute: at(0), revenue: '10.00', units: 1, sales: 1 },
      { minute: at(1), revenue: '0.30', units: 2, sales: 2 },
      { minute: at(3), revenue: '-10.00', units: -1, sales: -1 },
    ]);
  });

  it('forgets minutes older than the window', () => {
    const s = new MinuteSeries(60);
    s.seed([{ minute: at(0), revenue: '1.00', units: 1, sales: 1 }], { revenue: '1.00', units: 1, sales: 1 });
    s.observe({ revenue: '2.00', units: 2, sales: 2 }, at(59, 59));
    expect(s.points()).toHaveLength(2);
    s.observe({ revenue: '2.00', units: 2, sales: 2 }, Date.UTC(2026, 0, 1, 13, 0, 1));
    expect(s.points().map((p) => p.revenue)).toEqual(['1.00']);
  });
});
