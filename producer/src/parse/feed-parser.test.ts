import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SaleMessage } from '@sales-pipeline/platform';
import { FeedParser, START_CURSOR, type FeedOutput } from './feed-parser.ts';

const CLIENT_DATA = path.resolve(import.meta.dirname, '..', '..', '..', 'data', 'pme');
const MAX = 64 * 1024;

function parser(kind: 'sales' | 'products' | 'stores' = 'sales', feed = 'ventes') {
  return new FeedParser(kind, feed, START_CURSOR, { maxRecordBytes: MAX, now: () => new Date(0) });
}
const rows = (outputs: FeedOutput[]) => outputs.flatMap((o) => (o.type === 'row' ? [o.row.value] : []));
const dead = (outputs: FeedOutput[]) => outputs.flatMap((o) => (o.type === 'dead' ? [o.letter] : []));

describe('FeedParser on the client files', () => {
  const sales = fs.readFileSync(path.join(CLIENT_DATA, 'ventes.csv'));

  it('holds the last row, which has no line ending, until the snapshot is taken as complete', () => {
    const p = parser();
    const before = p.push(sales);
    expect(rows(before)).toHaveLength(29);
    expect(p.heldBytes).toBeGreaterThan(0);
    const last = p.flush();
    expect(rows(last)).toHaveLength(1);
    expect(p.cursor).toEqual({ generation: 0, offset: sales.length, line: 32, openLine: true });
  });

  it('reads 30 sales and 122 units with deterministic ids, no dead letter', () => {
    const p = parser();
    const outputs = [...p.push(sales), ...p.flush()];
    const all = rows(outputs) as SaleMessage[];
    expect(all).toHaveLength(30);
    expect(dead(outputs)).toEqual([]);
    expect(all.reduce((sum, sale) => sum + sale.quantity, 0)).toBe(122);
    expect(all[0]).toEqual({
      sale_id: 'ventes/0/2',
      feed: 'ventes',
      generation: 0,
      line: 2,
      sold_on: '2023-05-27',
      product_id: 'REF001',
      store_id: '1',
      quantity: 5,
    });
    expect(new Set(all.map((s) => s.sale_id)).size).toBe(30);
  });

  it('gives the same ids whatever the chunking', () => {
    const ids = (outputs: FeedOutput[]) => rows(outputs).map((s) => (s as SaleMessage).sale_id);
    const whole = parser();
    const expected = ids([...whole.push(sales), ...whole.flush()]);
    const bytewise = parser();
    const outputs: FeedOutput[] = [];
    for (let i = 0; i < sales.length; i++) outputs.push(...bytewise.push(sales.subarray(i, i + 1)));
    outputs.push(...bytewise.flush());
    expect(ids(outputs)).toEqual(expected);
    expect(expected).toHaveLength(30);
  });

  it('reads the products with exact decimal prices', () => {
    const p = parser('products', 'produits');
    const outputs = [...p.push(fs.readFileSync(path.join(CLIENT_DATA, 'produits.csv'))), ...p.flush()];
    expect(rows(outputs)).toContainEqual({
      product_id: 'REF004',
      name: 'Produit D',
      unit_price: '79.99',
      stock: 120,
    });
    expect(rows(outputs)).toHaveLength(5);
  });

  it('reads the stores', () => {
    const p = parser('stores', 'magasins');
    const outputs = [...p.push(fs.readFileSync(path.join(CLIENT_DATA, 'magasins.csv'))), ...p.flush()];
    expect(rows(outputs)).toContainEqual({ store_id: '3', city: 'Lyon', employees: 8 });
    expect(rows(outputs)).toHaveLength(7);
  });
});

describe('FeedParser on appended and resumed feeds', () => {
  it('skips the line ending that later completes a row taken without one', () => {
    const p = parser();
    p.push(Buffer.from('Date,ID Référence produit,Quantité,ID Magasin\r\n2023-05-27,REF001,5,1'));
    expect(rows(p.flush())).toHaveLength(1);
    const next = p.push(Buffer.from('\r\n2023-05-28,REF002,3,2\r\n'));
    expect(rows(next)).toEqual([expect.objectContaining({ line: 3, product_id: 'REF002' })]);
    expect(dead(next)).toEqual([]);
  });

  it('reports, never merges, bytes that continue a row already taken as complete', () => {
    const p = parser();
    p.push(Buffer.from('Date,ID Référence produit,Quantité,ID Magasin\n2023-05-27,REF001,5,1'));
    p.flush();
    const next = p.push(Buffer.from('2\n2023-05-28,REF002,3,2\n'));
    expect(dead(next)).toEqual([
      expect.objectContaining({ line: 2, raw: '2', reason: expect.stringMatching(/continues line 2/) }),
    ]);
    expect(rows(next)).toEqual([expect.objectContaining({ line: 3 })]);
  });

  it('resumes from a cursor with the header read from the start of the file', () => {
    const text = Buffer.from(
      'Date;ID Référence produit;Quantité;ID Magasin\n2023-05-27;REF001;5;1\n2023-05-28;REF002;3;2\n',
    );
    const first = parser();
    const firstRows = first.push(text.subarray(0, 70));
    const resumed = new FeedParser('sales', 'ventes', first.cursor, { maxRecordBytes: MAX });
    expect(resumed.useHeaderFrom(text)).toBe(true);
    const rest = resumed.push(text.subarray(first.cursor.offset));
    expect([...rows(firstRows), ...rows(rest)].map((s) => (s as SaleMessage).line)).toEqual([2, 3]);
  });
});

describe('FeedParser on bad rows', () => {
  const header = 'Date,ID Référence produit,Quantité,ID Magasin\n';
  const reasons = (body: string | Buffer) => {
    const p = parser();
    const outputs = [...p.push(Buffer.concat([Buffer.from(header), Buffer.from(body)])), ...p.flush()];
    return dead(outputs).map((letter) => letter.reason);
  };

  it.each([
    ['2023-05-27,REF001,5\n', /expected 4 fields, found 3/],
    ['27 mai,REF001,5,1\n', /unparsable date/],
    ['2023-02-30,REF001,5,1\n', /no such date/],
    ['2023-05-27,REF001,0,1\n', /quantity is zero/],
    ['2023-05-27,REF001,2.5,1\n', /fractional quantity/],
    ['2023-05-27,REF001,999999,1\n', /absurd quantity/],
    ['2023-05-27,REF001,cinq,1\n', /unparsable quantity/],
    ['2023-05-27,=HYPERLINK("http://x"),5,1\n', /formula-like/],
    ['2023-05-27,@SUM(A1),5,1\n', /formula-like/],
    ['\n', /empty line/],
  ])('dead-letters %j', (line, reason) => {
    expect(reasons(line)).toEqual([expect.stringMatching(reason)]);
  });

  it('dead-letters invalid UTF-8 with the raw bytes in base64', () => {
    const p = parser();
    const bad = Buffer.concat([Buffer.from(header), Buffer.from([0x32, 0x30, 0xff, 0xfe, 0x0a])]);
    const letters = dead([...p.push(bad), ...p.flush()]);
    expect(letters).toEqual([
      expect.objectContaining({ reason: 'invalid UTF-8', raw_base64: 'MjD//g==', line: 2 }),
    ]);
  });

  it('dead-letters a line over 64 KiB and goes on with the next one', () => {
    const p = parser();
    const long = `2023-05-27,REF001,5,${'9'.repeat(70_000)}\n2023-05-28,REF002,3,2\n`;
    const outputs = [...p.push(Buffer.from(header + long)), ...p.flush()];
    expect(dead(outputs).map((l) => l.reason)).toEqual([expect.stringMatching(/longer than 65536 bytes/)]);
    expect(rows(outputs)).toEqual([expect.objectContaining({ line: 3 })]);
  });

  it('keeps quoted separators, doubled quotes and newlines inside one record', () => {
    const p = parser('products', 'produits');
    const text =
      'Nom,ID Référence produit,Prix,Stock\n' +
      '"Produit, ""Luxe""",REF009,"1 234,50",3\n' +
      '"Deux\nlignes",REF010,2.00,1\n' +
      'Produit E,REF011,5,\n';
    const outputs = [...p.push(Buffer.from(text)), ...p.flush()];
    expect(rows(outputs)).toEqual([
      { product_id: 'REF009', name: 'Produit, "Luxe"', unit_price: '1234.50', stock: 3 },
      { product_id: 'REF011', name: 'Produit E', unit_price: '5.00', stock: null },
    ]);
    // The quoted newline stays inside its record (lines 3-4), refused as a whole; line 5 is the next record.
    expect(dead(outputs)).toEqual([
      expect.objectContaining({ line: 3, reason: 'control character in product name' }),
    ]);
    expect(outputs.at(-1)).toMatchObject({ type: 'row', line: 5 });
  });

  it('accounts for every line of a feed whose header is wrong', () => {
    const p = parser();
    const outputs = [...p.push(Buffer.from('a,b,c\n1,2,3\n4,5,6\n')), ...p.flush()];
    expect(outputs.map((o) => o.type)).toEqual(['dead', 'dead', 'dead']);
    expect(dead(outputs)[0]?.reason).toMatch(/invalid header: .*lacks column/);
  });

  it('quotes at most 10 fields of a wrong header, so a header of 10,000 columns gives short reasons', () => {
    const p = parser();
    const header = Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',');
    const letters = dead([...p.push(Buffer.from(`${header}\n1,2,3\n`)), ...p.flush()]);
    expect(letters.map((l) => l.line)).toEqual([1, 2]);
    expect(letters[0]?.reason).toBe(
      'invalid header: header of a sales feed lacks column(s) date, product_id, quantity, store_id ' +
        '(found: "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9" and 9990 more)',
    );
    expect(letters[1]?.reason.length).toBeLessThan(300);
  });

  it('refuses a header longer than the line limit instead of reading it cut short', () => {
    const p = parser();
    const extra = Array.from({ length: 9_996 }, (_, i) => `,colonne_${i}`).join('');
    const wide = `2023-05-27,REF001,5,1${',x'.repeat(9_996)}`;
    const outputs = [...p.push(Buffer.from(`${header.trimEnd()}${extra}\n${wide}\n`)), ...p.flush()];
    expect(rows(outputs)).toEqual([]);
    expect(dead(outputs).map((l) => [l.line, l.reason])).toEqual([
      [
        1,
        expect.stringMatching(/^invalid header: the header line is longer than 65536 bytes \(\d+ bytes\)$/),
      ],
      [
        2,
        expect.stringMatching(/^the feed's header is invalid \(the header line is longer than 65536 bytes/),
      ],
    ]);
  });
});
