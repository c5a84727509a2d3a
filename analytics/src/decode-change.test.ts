import { describe, expect, it } from 'vitest';
import { decodeSaleChange } from './decode-change.ts';

const row = (status: string, seen: string | null) => ({
  sale_id: 's1',
  sold_on: 20_000,
  product_id: 'P1',
  store_id: 'S1',
  quantity: 2,
  amount: status === 'complete' ? '10.00' : null,
  status,
  line_seen_at: seen,
});
const event = (op: string, before: unknown, after: unknown) =>
  JSON.stringify({ op, before, after, source: { lsn: 42, table: 'sales' } });

describe('decodeSaleChange line_seen_at', () => {
  const seen = '2026-11-22T10:00:00.123456Z';

  it('carries when the line was seen on the change that first counts the sale', () => {
    const change = decodeSaleChange(event('c', null, row('complete', seen)));
    expect(change?.lineSeenAt).toBe(Date.parse(seen));
    expect(change?.after.cents).toBe(1000n);
  });

  it('has none for a pending insert, a later update or a row without the mark', () => {
    expect(decodeSaleChange(event('c', null, row('pending', seen)))?.lineSeenAt).toBeUndefined();
    const update = event('u', row('pending', seen), row('complete', seen));
    expect(decodeSaleChange(update)?.lineSeenAt).toBeUndefined();
    expect(decodeSaleChange(event('c', null, row('complete', null)))?.lineSeenAt).toBeUndefined();
  });
});

describe('decodeSaleChange returns and cancellations', () => {
  it('counts a complete return with its negative units and cents', () => {
    const change = decodeSaleChange(
      event('c', null, { ...row('complete', null), quantity: -3, amount: '-15.00' }),
    );
    expect(change?.after).toMatchObject({ units: -3n, cents: -1500n, counted: true });
  });

  it('counts nothing for a cancelled sale', () => {
    const change = decodeSaleChange(
      event('u', row('complete', null), { ...row('cancelled', null), amount: '10.00' }),
    );
    expect(change?.after.counted).toBe(false);
  });
});
