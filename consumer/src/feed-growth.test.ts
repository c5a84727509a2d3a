import { describe, expect, it } from 'vitest';
import type { Decoded } from './decode-message.ts';
import { feedGrowth } from './feed-growth.ts';

describe('feedGrowth', () => {
  it('counts the lines of each feed, sales, cancellations and dead letters alike, at the newest line seen', () => {
    const sale = (feed: string, seenAt: number | undefined) =>
      ({ kind: 'sale', value: { feed }, offset: 0n, seenAt }) as unknown as Decoded;
    const decoded = [
      sale('a', 1_000),
      sale('a', 3_000),
      sale('b', undefined),
      { kind: 'cancel', value: { feed: 'a' }, offset: 1n } as unknown as Decoded,
      { kind: 'dead-letter', value: { feed: 'c' }, offset: 2n } as unknown as Decoded,
      { kind: 'dead-letter', value: { feed: null }, offset: 3n } as unknown as Decoded,
      { kind: 'product', value: {}, offset: 4n } as unknown as Decoded,
    ];
    expect(feedGrowth(decoded, 5_000)).toEqual(
      new Map([
        ['a', { lines: 3, at: 5_000 }],
        ['b', { lines: 1, at: 5_000 }],
        ['c', { lines: 1, at: 5_000 }],
      ]),
    );
    // A line seen later than now (clocks apart) counts as now.
    expect(feedGrowth([sale('a', 9_000)], 5_000).get('a')).toEqual({ lines: 1, at: 5_000 });
  });

  it('tells a source pushed over HTTP (ids <source>/http/<id>) from a file or URL feed', () => {
    const sale = (feed: string, saleId: string) =>
      ({ kind: 'sale', value: { feed, sale_id: saleId }, offset: 0n, seenAt: 1 }) as unknown as Decoded;
    const growth = feedGrowth([sale('pos-lyon', 'pos-lyon/http/T1'), sale('ventes', 'ventes/0/2')], 5);
    expect(growth.get('pos-lyon')?.kind).toBe('http');
    expect(growth.get('ventes')?.kind).toBe('feed');
    // A source named like another's prefix is still told apart by its own name.
    expect(feedGrowth([sale('pos', 'pos-lyon/http/T1')], 5).get('pos')?.kind).toBe('feed');
  });
});
