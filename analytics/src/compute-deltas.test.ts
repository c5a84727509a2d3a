import { describe, expect, it } from 'vitest';
import {
  UNKNOWN_STORE,
  computeSaleDeltas,
  emptyDeltas,
  moveStoreTotals,
  type Fact,
} from './compute-deltas.ts';
import { NOTHING, fromCents, toCents, toIsoDay, type Contribution } from './decode-change.ts';

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
const dims = (id: string) => (id === 'S1' ? { city: 'Lyon', region: 'Auvergne-Rhône-Alpes' } : UNKNOWN_STORE);

describe('computeSaleDeltas', () => {
  it('adds an insert to every dimension', () => {
    const { deltas } = computeSaleDeltas(
      [{ saleId: 'a', lsn: 10n, after: sale(2, '19.98') }],
      new Map(),
      dims,
    );
    expect(deltas.total).toEqual({ units: 2n, cents: 1998n, sales: 1n });
    expect(deltas.by.region.get('Auvergne-Rhône-Alpes')).toEqual({ units: 2n, cents: 1998n, sales: 1n });
    expect(deltas.by.day.get('2024-01-02')?.cents).toBe(1998n);
  });

  it('applies an update as the difference with what the row contributed', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(2, '19.98'), lsn: 10n }]]);
    const { deltas } = computeSaleDeltas([{ saleId: 'a', lsn: 11n, after: sale(5, '49.95') }], facts, dims);
    expect(deltas.total).toEqual({ units: 3n, cents: 2997n, sales: 0n });
  });

  it('subtracts a deleted sale', () => {
    const facts = new Map<string, Fact>([['a', { contribution: sale(2, '19.98'), lsn: 10n }]]);
    const { deltas, changedFacts } = computeSaleDeltas(
      [{ saleId: 'a', lsn: 12n, after: NOTHING }],
      facts,
      dims,
    );
    expect(deltas.total).toEqual({ units: -2n, cents: -1998n, sales: -1n });
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
    expect(deltas.total).toEqual({ units: 1n, cents: 100n, sales: 1n });
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
    expect(deltas.total).toEqual({ units: 3n, cents: 3000n, sales: 1n });
    expect(deltas.by.region.get('Inconnue')).toEqual({ units: 3n, cents: 3000n, sales: 1n });
  });
});

describe('moveStoreTotals', () => {
  it('moves a store from the unknown city to its own, region with it', () => {
    const deltas = emptyDeltas();
    moveStoreTotals(deltas, { units: 4n, cents: 400n, sales: 2n }, UNKNOWN_STORE, {
      city: 'Lille',
      region: 'Hauts-de-France',
    });
    expect(deltas.by.city.get('Inconnue')).toEqual({ units: -4n, cents: -400n, sales: -2n });
    expect(deltas.by.region.get('Hauts-de-France')).toEqual({ units: 4n, cents: 400n, sales: 2n });
    expect(deltas.total).toEqual({ units: 0n, cents: 0n, sales: 0n });
  });
});

describe('money and dates', () => {
  it('converts decimal strings and cents exactly', () => {
    expect(toCents('5268.78')).toBe(526_878n);
    expect(toCents('0.5')).toBe(50n);
    expect(fromCents(526_878n)).toBe('5268.78');
    expect(fromCents(-5n)).toBe('-0.05');
    expect(fromCents(toCents('0.10') + toCents('0.20'))).toBe('0.30');
  });

  it("reads Debezium's days since epoch", () => {
    expect(toIsoDay(19_504)).toBe('2023-05-27');
  });
});
