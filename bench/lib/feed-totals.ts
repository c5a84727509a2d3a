import { PRODUCTS, saleRow } from './feed.ts';

/**
 * The generated feed's cumulative totals after each 0-based row (revenue in cents, units per product):
 * which row crossed a milestone's step, and how many milestones a set of steps makes.
 */
export interface FeedTotals {
  cumRevenueCents: Float64Array;
  cumUnits: Map<string, Float64Array>;
  /** Revenue of all `rows` rows, in cents. */
  revenueCents: number;
  /** Units of each product over all `rows` rows. */
  units: Map<string, number>;
}

export function feedTotals(rows: number): FeedTotals {
  const cumRevenueCents = new Float64Array(rows);
  const cumUnits = new Map(PRODUCTS.map((p) => [p.id, new Float64Array(rows)]));
  let revenue = 0;
  const units = new Map(PRODUCTS.map((p) => [p.id, 0]));
  for (let i = 0; i < rows; i++) {
    const s = saleRow(i);
    revenue += s.amountCents;
    cumRevenueCents[i] = revenue;
    units.set(s.productId, (units.get(s.productId) ?? 0) + s.quantity);
    for (const [id, arr] of cumUnits) arr[i] = units.get(id) ?? 0;
  }
  return { cumRevenueCents, cumUnits, revenueCents: revenue, units };
}

/** Milestones the whole feed makes with `stepSeries: 'multiples'` rules (revenue steps, unit steps). */
export function milestonesOf(totals: FeedTotals, revenueStepEuros: number, productUnitsStep: number): number {
  let expected = Math.floor(totals.revenueCents / 100 / revenueStepEuros);
  for (const u of totals.units.values()) expected += Math.floor(u / productUnitsStep);
  return expected;
}

/** The first row after which the cumulative `cum` reaches `value`; -1 if it never does. */
function firstRowReaching(cum: Float64Array, value: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  if ((cum[hi] ?? 0) < value) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cum[mid] ?? 0) >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The 0-based row whose sale crossed a recorded milestone's step (`revenue_total` in euros, `product_units`
 * of `subject` in units); undefined for another rule, -1 when the feed never reaches the step.
 */
export function rowCrossing(
  totals: FeedTotals,
  milestone: { rule: string; subject: string; step: string },
): number | undefined {
  const revenue = milestone.rule === 'revenue_total';
  const cum = revenue ? totals.cumRevenueCents : totals.cumUnits.get(milestone.subject);
  if (!cum) return undefined;
  return firstRowReaching(cum, Number(milestone.step) * (revenue ? 100 : 1));
}
