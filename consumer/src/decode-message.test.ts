import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode-message.ts';

const topics = { sales: 'sales', products: 'products', stores: 'stores', deadLetter: 'dlq' };
const sale = (line: number, extra: Record<string, unknown> = {}) => ({
  sale_id: `history/0/${line}`,
  feed: 'history',
  generation: 0,
  line,
  sold_on: '2024-01-02',
  product_id: 'REF001',
  store_id: '1',
  quantity: 2,
  ...extra,
});
const message = (value: unknown, headers: Record<string, string> = {}) => ({
  offset: '7',
  value: Buffer.from(JSON.stringify(value)),
  headers,
});

describe('decodeMessage: a chunk of sales', () => {
  it('decodes a backfill chunk as one item carrying its sales and the time its lines were seen', () => {
    const decoded = decodeMessage(
      topics,
      'sales',
      message({ op: 'chunk', sales: [sale(2), sale(3)] }, { 'line-seen-at': '1000' }),
      'line-seen-at',
    );
    expect(decoded).toEqual({ kind: 'chunk', sales: [sale(2), sale(3)], offset: 7n, seenAt: 1000 });
  });

  it('refuses a chunk as a whole, naming the sale that is wrong (one rejected row for one message)', () => {
    const bad = decodeMessage(
      topics,
      'sales',
      message({ op: 'chunk', sales: [sale(2), sale(3, { quantity: 0 })] }),
      'line-seen-at',
    );
    expect(bad).toMatchObject({ kind: 'rejected', offset: 7n });
    expect(bad.kind === 'rejected' && bad.reason).toBe(
      'invalid chunk of sales (sales.1.quantity: must not be zero)',
    );
    // A sale with versions never travels in a chunk: its order against its amendments matters.
    const versioned = decodeMessage(
      topics,
      'sales',
      message({ op: 'chunk', sales: [sale(2, { rev: 1 })] }),
      'line-seen-at',
    );
    expect(versioned.kind === 'rejected' && versioned.reason).toBe(
      'invalid chunk of sales (sales.0: a chunk sale has no rev)',
    );
    expect(decodeMessage(topics, 'sales', message({ op: 'chunk', sales: [] }), 'line-seen-at').kind).toBe(
      'rejected',
    );
  });
});
