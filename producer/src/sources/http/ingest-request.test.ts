import { describe, expect, it } from 'vitest';
import { contentDigest, IngestLedger } from './ingest-ledger.ts';
import { BadIngestRequest, parseCsvBatch, parseJsonBatch } from './ingest-request.ts';

const sale = (id: string, quantity: unknown = 2) => ({
  id,
  date: '2023-07-01',
  product_id: 'REF001',
  quantity,
  store_id: '3',
});
const topics = { sales: 'sales', deadLetter: 'dlq', state: 'state' };

describe('parseJsonBatch', () => {
  it('keeps each valid sale with its identity, and refuses each invalid one alone, with its reason', () => {
    const batch = parseJsonBatch(
      JSON.stringify({
        source: 'pos-lyon',
        sales: [
          sale('A1'),
          sale('A2', -3),
          sale('A3', 2.5),
          sale('A4', 0),
          { ...sale('A5'), date: 'hier' },
          'x',
          sale('a b'),
        ],
      }),
    );
    expect(batch.sales.map((s) => [s.saleId, s.value.quantity])).toEqual([
      ['pos-lyon/http/A1', 2],
      ['pos-lyon/http/A2', -3],
    ]);
    expect(batch.rejected.map((r) => [r.index, r.id, r.reason])).toEqual([
      [2, 'A3', 'fractional quantity 2.5'],
      [3, 'A4', 'quantity is zero'],
      [4, 'A5', 'unparsable date "hier" (expected YYYY-MM-DD)'],
      [5, null, 'a sale must be an object {"id", "date", "product_id", "quantity", "store_id"}'],
      [6, null, 'invalid sale id "a b"'],
    ]);
  });

  it.each([
    ['{"source": "pos"', /malformed JSON/],
    ['[]', /must be a JSON object/],
    ['{"sales": []}', /source must be/],
    ['{"source": "pos", "sales": {}}', /"sales" must be an array/],
    ['{"source": "<script>", "sales": []}', /source must be/],
  ])('refuses %s as a whole', (text, reason) => {
    expect(() => parseJsonBatch(text)).toThrow(BadIngestRequest);
    expect(() => parseJsonBatch(text)).toThrow(reason);
  });

  it('gives the same values the same hash, other values another', () => {
    const [a, b, c] = parseJsonBatch(
      JSON.stringify({ source: 's', sales: [sale('X'), { ...sale('X'), quantity: '2' }, sale('X', 3)] }),
    ).sales;
    expect(a?.hash).toBe(b?.hash);
    expect(a?.hash).not.toBe(c?.hash);
  });
});

describe('parseCsvBatch', () => {
  it('reads the feed header with an id column; refuses a body without one', () => {
    const ok = parseCsvBatch(
      'pos',
      Buffer.from(
        'ID Vente,Date,ID Référence produit,Quantité,ID Magasin\r\nC1,2023-07-02,REF002,3,2\r\nC2,2023-07-02,REF002,zero,2',
      ),
    );
    expect(ok.sales.map((s) => s.saleId)).toEqual(['pos/http/C1']);
    expect(ok.rejected).toEqual([expect.objectContaining({ index: 1 })]);
    expect(() =>
      parseCsvBatch('pos', Buffer.from('Date,ID Référence produit,Quantité,ID Magasin\r\n')),
    ).toThrow(/no sale-id column/);
  });
});

describe('IngestLedger.plan', () => {
  it('tells new sales, duplicates (in the ledger or earlier in the group) and amendments apart; moves only when applied', () => {
    const ledger = new IngestLedger();
    const one = parseJsonBatch(JSON.stringify({ source: 's', sales: [sale('A'), sale('B')] }));
    const first = ledger.plan([one, one], topics, 0, 0);
    expect(first.results.map((r) => [r.accepted, r.duplicates])).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(first.messages.get('sales')).toHaveLength(2);
    expect(first.messages.get('state')).toHaveLength(2);
    // Not applied (the transaction failed): the same request is new again.
    expect(ledger.plan([one], topics, 0, 0).results[0]?.accepted).toBe(2);
    ledger.apply(first.updates);
    const changed = parseJsonBatch(JSON.stringify({ source: 's', sales: [sale('A', 5), sale('B')] }));
    const second = ledger.plan([changed], topics, 0, 0);
    expect(second.results[0]).toMatchObject({ accepted: 1, amended: 1, duplicates: 1 });
    expect(JSON.parse(String(second.messages.get('sales')?.[0]?.value))).toMatchObject({
      sale_id: 's/http/A',
      quantity: 5,
      rev: 2,
    });
    // Applied, rev 2 is kept: the same change again is a duplicate, a third value rev 3, the first value back rev 4.
    ledger.apply(second.updates);
    expect(ledger.plan([changed], topics, 0, 0).results[0]).toMatchObject({ accepted: 0, duplicates: 2 });
    const third = ledger.plan(
      [parseJsonBatch(JSON.stringify({ source: 's', sales: [sale('A', 6)] }))],
      topics,
      0,
      0,
    );
    expect(JSON.parse(String(third.messages.get('sales')?.[0]?.value))).toMatchObject({
      quantity: 6,
      rev: 3,
    });
    ledger.apply(third.updates);
    const back = ledger.plan([one], topics, 0, 0);
    expect(back.results[0]).toMatchObject({ accepted: 1, amended: 1, duplicates: 1 });
    expect(JSON.parse(String(back.messages.get('sales')?.[0]?.value))).toMatchObject({ quantity: 2, rev: 4 });
  });
});

describe('IngestLedger, bounded', () => {
  const post = (ledger: IngestLedger, at: number, ...sales: Array<ReturnType<typeof sale>>) => {
    const plan = ledger.plan([parseJsonBatch(JSON.stringify({ source: 's', sales }))], topics, at, at);
    ledger.apply(plan.updates);
    const revs = (plan.messages.get('sales') ?? []).map(
      (m) => (JSON.parse(String(m.value)) as { rev: number }).rev,
    );
    return { ...plan.results[0], revs };
  };

  it('remembers at least its last n sales in a fixed size; a forgotten sale posted again gets a higher rev, not rev 1', () => {
    const ledger = new IngestLedger(3);
    const bytes = ledger.bytes;
    const t0 = 1_796_000_000_000;
    for (let i = 0; i < 10; i++) expect(post(ledger, t0 + i, sale(`S${i}`)).revs).toEqual([t0 + i]);
    expect(ledger.bytes).toBe(bytes);
    expect(ledger.size).toBeLessThanOrEqual(6);
    // The last three are remembered: duplicates.
    expect(post(ledger, t0 + 20, sale('S7'), sale('S8'), sale('S9'))).toMatchObject({
      accepted: 0,
      duplicates: 3,
    });
    // S0 is forgotten: published again, with its acceptance time as rev, above the rev stored for it.
    const again = post(ledger, t0 + 30, sale('S0'));
    expect(again).toMatchObject({ accepted: 1, duplicates: 0, revs: [t0 + 30] });
    // An amendment in the same millisecond as the version it replaces still gets a higher rev.
    expect(post(ledger, t0 + 30, sale('S0', 5)).revs).toEqual([t0 + 31]);
  });

  it('issues every rev above the revs issued before: a forgotten sale planned with the clock behind still replaces the stored version', () => {
    const ledger = new IngestLedger(1);
    const t0 = 1_796_000_000_000;
    // X at t0 + 10,000 (say, an amendment committed while an older request for X was still uploading).
    expect(post(ledger, t0 + 10_000, sale('X', 5)).revs).toEqual([t0 + 10_000]);
    post(ledger, t0 + 10_001, sale('Y'));
    post(ledger, t0 + 10_002, sale('Z'));
    // X is forgotten; the old request is planned with an earlier time: its rev is still the higher one.
    const late = post(ledger, t0, sale('X', 2));
    expect(late).toMatchObject({ accepted: 1 });
    expect(late.revs[0]).toBeGreaterThan(t0 + 10_002);
  });

  it('refuses to remember fewer than one sale', () => {
    expect(() => new IngestLedger(0)).toThrow(RangeError);
  });
});

describe('contentDigest', () => {
  it('is the same for the same hash and differs when any of its first eight characters does', () => {
    const hash = 'rAbCdEfGh-_12345';
    expect(contentDigest(hash)).toBe(contentDigest(`${hash}`));
    const digests = new Set([contentDigest(hash)]);
    for (let i = 1; i <= 8; i++) digests.add(contentDigest(`${hash.slice(0, i)}Z${hash.slice(i + 1)}`));
    expect(digests.size).toBe(9);
    expect(Number.isSafeInteger(contentDigest('r________________'))).toBe(true);
  });
});
