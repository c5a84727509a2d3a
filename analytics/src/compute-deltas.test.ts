import { describe, expect, it } from 'vitest';
import { toCents } from '@sales-pipeline/platform';
import {
  UNKNOWN_STORE,
  computeSaleDeltas,
  emptyDeltas,
  moveStoreTotals,
  type Delta,
  type Fact,
} from './compute-deltas.ts';
import { NOTHING, decodeSaleChange, toIsoDay, type Contribution } from './decode-change.ts';

const sale = (
  units: number,
  amount: string,
  storeId = 'S1',
  productId = 'P1',
  day = '2024-01-02',
): Contribution => ({
  productId,
  storeId,
  day,
  units: BigInt(units),
  cents: toCents(amount),
  counted: true,
});
/** A delta with no return unless said. */
const delta = (units: bigint, cents: bigint, sales: bigint, returns = 0n, returnsCents = 0n): Delta => ({
  units,
  cents,
  sales,
  returns,
  returnsCents,
});
const dims = (id: string) => (id === 'S1' ? { city: 'Lyon', region: 'Auvergne-Rhône-Alpes' } : UNKNOWN_STORE);

describe('computeSaleDeltas', () => {
  it('adds an insert to every dimension', () => {
    const { deltas } = computeSaleDeltas(
      [{ saleId: 'a', lsn: 10n, after: sale(2, '19.98') }],
      new Map(),
      dims,
    );
    expect(deltas.total).toEqual(delta(2n, 1998n, 1n));
    expect(deltas.by.region.get('Auvergne-Rhône-Alpes')).toEqual(delta(2n, 1998n, 1n));
    expect(deltas.by.day.get('2024-01-02')?.cents).toBe(1998n);
  });

  it('applies an update as the difference with what the row contributed', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(2, '19.98'), lsn: 10n }]]);
    const { deltas } = computeSaleDeltas([{ saleId: 'a', lsn: 11n, after: sale(5, '49.95') }], facts, dims);
    expect(deltas.total).toEqual(delta(3n, 2997n, 0n));
  });

  it('subtracts a deleted sale', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(2, '19.98'), lsn: 10n }]]);
    const { deltas, changedFacts } = computeSaleDeltas(
      [{ saleId: 'a', lsn: 12n, after: NOTHING }],
      facts,
      dims,
    );
    expect(deltas.total).toEqual(delta(-2n, -1998n, -1n));
    expect(changedFacts.get('a')).toEqual({ contribution: NOTHING, lsn: 12n });
  });

  it('skips a change that is not newer than the row (a replay), even within one batch', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(2, '19.98'), lsn: 10n }]]);
    const change = { saleId: 'b', lsn: 20n, after: sale(1, '1.00') };
    const { deltas, replays } = computeSaleDeltas(
      [{ saleId: 'a', lsn: 10n, after: sale(2, '19.98') }, change, change],
      facts,
      dims,
    );
    expect(replays).toBe(2);
    expect(deltas.total).toEqual(delta(1n, 100n, 1n));
  });

  it('counts a pending sale only once it is complete', () => {
    const pending = { ...NOTHING };
    const { deltas } = computeSaleDeltas(
      [
        { saleId: 'p', lsn: 1n, after: pending },
        { saleId: 'p', lsn: 2n, after: sale(3, '30.00', 'S9') },
      ],
      new Map(),
      dims,
    );
    expect(deltas.total).toEqual(delta(3n, 3000n, 1n));
    expect(deltas.by.region.get('Inconnue')).toEqual(delta(3n, 3000n, 1n));
  });
});

describe('computeSaleDeltas with returns and cancellations', () => {
  it('counts a return (negative quantity) as a return: net units and revenue go down, sales do not move', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(3, '30.00'), lsn: 10n }]]);
    const { deltas, changedFacts } = computeSaleDeltas(
      [{ saleId: 'r', lsn: 11n, after: sale(-1, '-10.00') }],
      facts,
      dims,
    );
    expect(deltas.total).toEqual(delta(-1n, -1000n, 0n, 1n, 1000n));
    for (const [map, key] of [
      [deltas.by.product, 'P1'],
      [deltas.by.store, 'S1'],
      [deltas.by.day, '2024-01-02'],
      [deltas.by.city, 'Lyon'],
      [deltas.by.region, 'Auvergne-Rhône-Alpes'],
      [deltas.by.storeDay, 'S1|2024-01-02'],
    ] as const)
      expect(map.get(key), key).toEqual(delta(-1n, -1000n, 0n, 1n, 1000n));
    expect(changedFacts.get('r')?.contribution.units).toBe(-1n);
  });

  it('moves a sale amended into a return from the sales to the returns', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(2, '19.98'), lsn: 10n }]]);
    const { deltas } = computeSaleDeltas([{ saleId: 'a', lsn: 11n, after: sale(-1, '-9.99') }], facts, dims);
    // Net: -2 - 1 units, -19.98 - 9.99; one sale line less, one return line more of 9.99.
    expect(deltas.total).toEqual(delta(-3n, -2997n, -1n, 1n, 999n));
    expect(deltas.by.product.get('P1')).toEqual(delta(-3n, -2997n, -1n, 1n, 999n));
  });

  it('takes back a cancelled sale (complete → cancelled) and a cancelled return', () => {
    const row = (saleId: string, status: string, quantity: number, amount: string) => ({
      sale_id: saleId,
      sold_on: '2024-01-02',
      product_id: 'P1',
      store_id: 'S1',
      quantity,
      amount,
      status,
    });
    const cancel = (lsn: number, saleId: string, quantity: number, amount: string) => {
      const before = row(saleId, 'complete', quantity, amount);
      const after = row(saleId, 'cancelled', quantity, amount);
      const event = { op: 'u', before, after, source: { lsn, table: 'sales' } };
      const change = decodeSaleChange(JSON.stringify(event));
      if (!change) throw new Error('not decoded');
      return change;
    };
    const changes = [cancel(12, 's1', 2, '19.98'), cancel(13, 's2', -1, '-5.00')];
    expect(changes.map((c) => c.after)).toEqual([NOTHING, NOTHING]);
    const facts = new Map<string, Fact>([
      ['s1', { contribution: sale(2, '19.98'), lsn: 10n }],
      ['s2', { contribution: sale(-1, '-5.00'), lsn: 11n }],
    ]);
    const { deltas, changedFacts } = computeSaleDeltas(changes, facts, dims);
    // The sale's 2 units and 19.98 leave, the return's -1 unit and -5.00 leave: net -1 unit, -14.98.
    expect(deltas.total).toEqual(delta(-1n, -1498n, -1n, -1n, -500n));
    expect(deltas.by.storeDay.get('S1|2024-01-02')).toEqual(delta(-1n, -1498n, -1n, -1n, -500n));
    expect(changedFacts.get('s1')).toEqual({ contribution: NOTHING, lsn: 12n });
  });
});

describe('moveStoreTotals', () => {
  it('moves a store from the unknown city to its own, region with it', () => {
    const deltas = emptyDeltas();
    moveStoreTotals(deltas, delta(4n, 400n, 2n), UNKNOWN_STORE, {
      city: 'Lille',
      region: 'Hauts-de-France',
    });
    expect(deltas.by.city.get('Inconnue')).toEqual(delta(-4n, -400n, -2n));
    expect(deltas.by.region.get('Hauts-de-France')).toEqual(delta(4n, 400n, 2n));
    expect(deltas.total).toEqual(delta(0n, 0n, 0n));
  });

  it('moves its returns with it', () => {
    const deltas = emptyDeltas();
    moveStoreTotals(deltas, delta(3n, 250n, 2n, 1n, 50n), { city: 'Lyon', region: 'ARA' }, UNKNOWN_STORE);
    expect(deltas.by.city.get('Lyon')).toEqual(delta(-3n, -250n, -2n, -1n, -50n));
    expect(deltas.by.city.get('Inconnue')).toEqual(delta(3n, 250n, 2n, 1n, 50n));
    expect(deltas.by.region.get('ARA')).toEqual(delta(-3n, -250n, -2n, -1n, -50n));
  });
});

describe('dates', () => {
  it("reads Debezium's days since epoch", () => {
    expect(toIsoDay(19_504)).toBe('2023-05-27');
  });
});
