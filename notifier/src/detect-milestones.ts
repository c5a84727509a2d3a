import type { Milestone } from '@sales-pipeline/platform';
import type { MilestoneRules } from './milestone-rules.ts';
import { stepsCrossed } from './milestone-steps.ts';
import { centsOf, centsToDecimal, toCents } from './money.ts';

export type { Milestone } from '@sales-pipeline/platform';

/** A candidate the database must confirm (a store's record needs its other days). */
export interface BestDayCandidate {
  storeId: string;
  day: string;
  revenue: string;
}

interface Envelope {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { table: string; schema: string };
}

/** A count (bigint column, a JSON number from Debezium) as an exact integer; null is 0. */
const count = (value: unknown): bigint => BigInt(String(value ?? 0));

/** The aggregate row's `line_seen_at` (ISO-8601 text from Debezium) as epoch ms, when present. */
function lineSeenAt(row: Record<string, unknown>): { lineSeenAt?: number } {
  const ms = typeof row.line_seen_at === 'string' ? Date.parse(row.line_seen_at) : NaN;
  return Number.isFinite(ms) ? { lineSeenAt: ms } : {};
}

/**
 * The milestones a change event brings, by its table. Pure. A snapshot or re-snapshot event (no before
 * image) reports every step up to the current value; milestones are unique, so nothing is posted twice.
 */
export function detectMilestones(
  value: string | null,
  rules: MilestoneRules,
): { milestones: Milestone[]; bestDay?: BestDayCandidate } {
  if (!value) return { milestones: [] };
  const event = JSON.parse(value) as Envelope;
  const { before, after } = event;
  if (!after || event.op === 'd' || event.op === 't') return { milestones: [] };
  const table = `${event.source.schema}.${event.source.table}`;
  if (table === 'analytics.revenue_total') {
    const first = BigInt(rules.revenueStepEuros) * 100n;
    return {
      milestones: stepsCrossed(centsOf(before?.revenue), centsOf(after.revenue), first, rules.stepSeries).map(
        (cents) => ({
          rule: 'revenue_total',
          subject: 'total',
          step: centsToDecimal(cents),
          payload: { revenue: String(after.revenue) },
          ...lineSeenAt(after),
        }),
      ),
    };
  }
  if (table === 'analytics.by_product') {
    const productId = String(after.product_id);
    return {
      milestones: stepsCrossed(
        count(before?.units),
        count(after.units),
        BigInt(rules.productUnitsStep),
        rules.stepSeries,
      ).map((step) => ({
        rule: 'product_units',
        subject: productId,
        step: String(step),
        payload: { product_id: productId, units: Number(after.units) },
        ...lineSeenAt(after),
      })),
    };
  }
  if (table === 'public.sales') {
    const threshold = toCents(rules.bigSaleEuros);
    const big = (row: Record<string, unknown> | null) =>
      !!row && row.status === 'complete' && threshold > 0n && centsOf(row.amount) >= threshold;
    if (!big(after) || big(before)) return { milestones: [] };
    return { milestones: [bigSaleMilestone(after, threshold)] };
  }
  if (
    table === 'analytics.by_store_day' &&
    rules.storeBestDay &&
    centsOf(after.revenue) > centsOf(before?.revenue)
  ) {
    const day =
      typeof after.day === 'number'
        ? new Date(after.day * 86_400_000).toISOString().slice(0, 10)
        : String(after.day);
    return {
      milestones: [],
      bestDay: { storeId: String(after.store_id), day, revenue: String(after.revenue) },
    };
  }
  return { milestones: [] };
}

/** A big sale's milestone, from its `sales` row (a change event's, or read for a backfill's chunk). */
export function bigSaleMilestone(row: Record<string, unknown>, threshold: bigint): Milestone {
  return {
    rule: 'big_sale',
    subject: String(row.sale_id),
    step: centsToDecimal(threshold),
    payload: {
      sale_id: String(row.sale_id),
      amount: String(row.amount),
      product_id: String(row.product_id),
      store_id: String(row.store_id),
      quantity: Number(row.quantity),
    },
    ...lineSeenAt(row),
  };
}
