import { UNKNOWN_REGION } from '@sales-pipeline/platform';
import { NOTHING, type Contribution, type SaleChange } from './decode-change.ts';

/** A sum to add to one aggregate row. */
export interface Delta {
  units: bigint;
  cents: bigint;
  sales: bigint;
}

export type Dimension = 'product' | 'store' | 'day' | 'city' | 'region' | 'storeDay';

/** Key of the store × day aggregate: store id and day, joined by a separator no id contains. */
export const storeDayKey = (storeId: string, day: string) => `${storeId}|${day}`;

/** Deltas per dimension and key, plus the total. */
export interface Deltas {
  total: Delta;
  by: Record<Dimension, Map<string, Delta>>;
}

export interface Fact {
  contribution: Contribution;
  lsn: bigint;
}

export interface StoreDim {
  city: string;
  region: string;
}

export const UNKNOWN_STORE: StoreDim = { city: UNKNOWN_REGION, region: UNKNOWN_REGION };

export function emptyDeltas(): Deltas {
  return {
    total: { units: 0n, cents: 0n, sales: 0n },
    by: {
      product: new Map(),
      store: new Map(),
      day: new Map(),
      city: new Map(),
      region: new Map(),
      storeDay: new Map(),
    },
  };
}

function add(map: Map<string, Delta>, key: string, units: bigint, cents: bigint, sales: bigint): void {
  const delta = map.get(key) ?? { units: 0n, cents: 0n, sales: 0n };
  delta.units += units;
  delta.cents += cents;
  delta.sales += sales;
  map.set(key, delta);
}

function apply(deltas: Deltas, c: Contribution, sign: 1n | -1n, dims: (storeId: string) => StoreDim): void {
  if (!c.counted) return;
  const units = sign * c.units;
  const cents = sign * c.cents;
  deltas.total.units += units;
  deltas.total.cents += cents;
  deltas.total.sales += sign;
  const dim = dims(c.storeId as string);
  add(deltas.by.product, c.productId as string, units, cents, sign);
  add(deltas.by.store, c.storeId as string, units, cents, sign);
  add(deltas.by.day, c.day as string, units, cents, sign);
  add(deltas.by.city, dim.city, units, cents, sign);
  add(deltas.by.region, dim.region, units, cents, sign);
  add(deltas.by.storeDay, storeDayKey(c.storeId as string, c.day as string), units, cents, sign);
}

/**
 * The aggregate deltas of a batch of sale changes, in order. Pure. For each change newer than the row's
 * recorded LSN: subtract what the row contributed, add what it contributes now. A change not newer is a
 * replay and changes nothing. Returns the deltas and the facts to write back.
 */
export function computeSaleDeltas(
  changes: SaleChange[],
  facts: Map<string, Fact>,
  storeDims: (storeId: string) => StoreDim,
): { deltas: Deltas; changedFacts: Map<string, Fact>; replays: number } {
  const deltas = emptyDeltas();
  const changedFacts = new Map<string, Fact>();
  let replays = 0;
  for (const change of changes) {
    const current = changedFacts.get(change.saleId) ?? facts.get(change.saleId);
    if (current && change.lsn <= current.lsn) {
      replays++;
      continue;
    }
    apply(deltas, current?.contribution ?? NOTHING, -1n, storeDims);
    apply(deltas, change.after, 1n, storeDims);
    changedFacts.set(change.saleId, { contribution: change.after, lsn: change.lsn });
  }
  return { deltas, changedFacts, replays };
}

/** Moves a store's totals from one city/region to another (its store row's totals stay). */
export function moveStoreTotals(deltas: Deltas, totals: Delta, from: StoreDim, to: StoreDim): void {
  if (from.city !== to.city) {
    add(deltas.by.city, from.city, -totals.units, -totals.cents, -totals.sales);
    add(deltas.by.city, to.city, totals.units, totals.cents, totals.sales);
  }
  if (from.region !== to.region) {
    add(deltas.by.region, from.region, -totals.units, -totals.cents, -totals.sales);
    add(deltas.by.region, to.region, totals.units, totals.cents, totals.sales);
  }
}
