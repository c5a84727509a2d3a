import { UNKNOWN_REGION } from '@sales-pipeline/platform';
import { NOTHING, type Contribution, type SaleChange } from './decode-change.ts';

/**
 * A sum to add to one aggregate row. `units` and `cents` are net (returns count negative); `sales` counts
 * sale lines and `returns` return lines (negative units); `returnsCents` is what the returns took back,
 * positive (gross revenue = cents + returnsCents).
 */
export interface Delta {
  units: bigint;
  cents: bigint;
  sales: bigint;
  returns: bigint;
  returnsCents: bigint;
}

export const zeroDelta = (): Delta => ({ units: 0n, cents: 0n, sales: 0n, returns: 0n, returnsCents: 0n });

/** Whether a delta moves nothing (its aggregate row is left alone). */
export const isZeroDelta = (d: Delta): boolean =>
  d.units === 0n && d.cents === 0n && d.sales === 0n && d.returns === 0n && d.returnsCents === 0n;

/** What a counted line adds: a sale line counts in `sales`, a return line (negative units) in `returns`. */
export function lineDelta(c: Contribution): Delta {
  if (c.units >= 0n) return { units: c.units, cents: c.cents, sales: 1n, returns: 0n, returnsCents: 0n };
  const taken = c.cents < 0n ? -c.cents : c.cents;
  return { units: c.units, cents: c.cents, sales: 0n, returns: 1n, returnsCents: taken };
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
    total: zeroDelta(),
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

/** `target += sign × delta`, field by field. */
function addTo(target: Delta, delta: Delta, sign: 1n | -1n): void {
  target.units += sign * delta.units;
  target.cents += sign * delta.cents;
  target.sales += sign * delta.sales;
  target.returns += sign * delta.returns;
  target.returnsCents += sign * delta.returnsCents;
}

function add(map: Map<string, Delta>, key: string, delta: Delta, sign: 1n | -1n): void {
  const sum = map.get(key) ?? zeroDelta();
  addTo(sum, delta, sign);
  map.set(key, sum);
}

function apply(deltas: Deltas, c: Contribution, sign: 1n | -1n, dims: (storeId: string) => StoreDim): void {
  if (!c.counted) return;
  const delta = lineDelta(c);
  const storeId = c.storeId as string;
  const day = c.day as string;
  const dim = dims(storeId);
  addTo(deltas.total, delta, sign);
  add(deltas.by.product, c.productId as string, delta, sign);
  add(deltas.by.store, storeId, delta, sign);
  add(deltas.by.day, day, delta, sign);
  add(deltas.by.city, dim.city, delta, sign);
  add(deltas.by.region, dim.region, delta, sign);
  add(deltas.by.storeDay, storeDayKey(storeId, day), delta, sign);
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

/**
 * Moves a store's totals (returns included) from one city/region to another (its store row's totals
 * stay).
 */
export function moveStoreTotals(deltas: Deltas, totals: Delta, from: StoreDim, to: StoreDim): void {
  if (from.city !== to.city) {
    add(deltas.by.city, from.city, totals, -1n);
    add(deltas.by.city, to.city, totals, 1n);
  }
  if (from.region !== to.region) {
    add(deltas.by.region, from.region, totals, -1n);
    add(deltas.by.region, to.region, totals, 1n);
  }
}
