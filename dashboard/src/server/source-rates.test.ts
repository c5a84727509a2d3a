import { describe, expect, it } from 'vitest';
import { SourceRates } from './source-rates.ts';

describe('SourceRates', () => {
  it('gives each source its lines per second over the window, null before two readings a second apart', () => {
    const rates = new SourceRates(60_000);
    expect(rates.observe([{ name: 'ventes', lines: 100 }], 0).get('ventes')).toBeNull();
    expect(rates.observe([{ name: 'ventes', lines: 100 }], 500).get('ventes')).toBeNull();
    expect(rates.observe([{ name: 'ventes', lines: 400 }], 10_000).get('ventes')).toBe(30);
    // The window slides: readings older than a minute no longer count.
    const later = rates.observe([{ name: 'ventes', lines: 1_000 }], 70_000);
    expect(later.get('ventes')).toBe(10); // (1,000 − 400) over the 60 s since the reading at 10 s
  });

  it('reads a source that stopped as 0/s once the window has passed, and forgets one that is gone', () => {
    const rates = new SourceRates(60_000);
    rates.observe(
      [
        { name: 'pos-lyon', lines: 5 },
        { name: 'old', lines: 1 },
      ],
      0,
    );
    rates.observe([{ name: 'pos-lyon', lines: 5 }], 30_000);
    expect(rates.observe([{ name: 'pos-lyon', lines: 5 }], 61_000).get('pos-lyon')).toBe(0);
    expect(rates.observe([{ name: 'old', lines: 1 }], 62_000).get('old')).toBeNull();
  });
});
