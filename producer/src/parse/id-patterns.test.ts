import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sales-pipeline/platform';
import { loadProducerConfig } from '../config.ts';
import { FeedParser, START_CURSOR, type FeedOutput } from './feed-parser.ts';
import { wholeIdPattern } from './id-patterns.ts';
import { parseRow } from './parse-row.ts';

const origin = { feed: 'ventes', generation: 0, line: 2 };
const columns = { date: 0, product_id: 1, quantity: 2, store_id: 3 };
const sale = (product: string, store: string) =>
  parseRow('sales', ['2023-06-01', product, '2', store], columns, 4, origin);

describe('id formats', () => {
  it('rejects, by default, a store id that is not a positive integer and a product id that is not REF + digits', () => {
    expect(sale('REF002', 'x7')).toEqual({
      ok: false,
      reason: 'store id "x7" is not a store id of this feed (STORE_ID_PATTERN [1-9][0-9]*)',
    });
    expect(sale('REF002', '0')).toMatchObject({ ok: false });
    expect(sale('PROD9', '3')).toEqual({
      ok: false,
      reason: 'product id "PROD9" is not a product id of this feed (PRODUCT_ID_PATTERN REF[0-9]+)',
    });
    expect(sale('REF002', '12')).toMatchObject({ ok: true });
  });

  it('applies the configured patterns to whole ids, in products and stores feeds too', () => {
    const ids = { product: wholeIdPattern('P[0-9]'), store: wholeIdPattern('[a-z][0-9]') };
    expect(parseRow('sales', ['2023-06-01', 'P1', '2', 'x7'], columns, 4, origin, ids)).toMatchObject({
      ok: true,
    });
    expect(parseRow('sales', ['2023-06-01', 'P12', '2', 'x7'], columns, 4, origin, ids)).toMatchObject({
      ok: false,
    });
    expect(
      parseRow('stores', ['x7x', 'Lyon', '3'], { store_id: 0, city: 1, employees: 2 }, 3, origin, ids),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('STORE_ID_PATTERN') });
    expect(
      parseRow(
        'products',
        ['A', 'REF001', '1.00', '1'],
        { name: 0, product_id: 1, price: 2, stock: 3 },
        4,
        origin,
      ),
    ).toMatchObject({ ok: true });
  });

  it('validates the patterns at start, naming the variable and what to do', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:9092' };
    expect(loadProducerConfig(env).STORE_ID_PATTERN.test('7')).toBe(true);
    expect(() => loadProducerConfig({ ...env, PRODUCT_ID_PATTERN: 'REF[0-9' })).toThrow(ConfigError);
    expect(() => loadProducerConfig({ ...env, PRODUCT_ID_PATTERN: 'REF[0-9' })).toThrow(
      /PRODUCT_ID_PATTERN: is not a valid regular expression .*e\.g\. REF\[0-9\]\+/,
    );
    expect(() => loadProducerConfig({ ...env, STORE_ID_PATTERN: '[0-9]*' })).toThrow(
      /STORE_ID_PATTERN: matches an empty id/,
    );
  });
});

describe('a wrong header', () => {
  const dead = (outputs: FeedOutput[]) => outputs.flatMap((o) => (o.type === 'dead' ? [o.letter.line] : []));

  it('is reported with the header found, and every line is still dead-lettered', () => {
    const p = new FeedParser('sales', 'caisse', START_CURSOR, { maxRecordBytes: 1024 });
    expect(p.headerProblem).toBeUndefined();
    const outputs = p.push(
      Buffer.from('\uFEFFHorodatage;Code article;Montant;Caisse\r\n2023-06-01;REF002;2;1\r\n'),
    );
    expect(dead(outputs)).toEqual([1, 2]);
    expect(p.headerProblem).toEqual({
      found: 'Horodatage;Code article;Montant;Caisse',
      reason: expect.stringMatching(
        /^header of a sales feed lacks column\(s\) date, product_id, quantity, store_id/,
      ),
    });
  });

  it('is not reported for a valid header', () => {
    const p = new FeedParser('sales', 'ventes', START_CURSOR, { maxRecordBytes: 1024 });
    p.push(Buffer.from('Date,ID Référence produit,Quantité,ID Magasin\r\n'));
    expect(p.headerProblem).toBeUndefined();
  });
});
