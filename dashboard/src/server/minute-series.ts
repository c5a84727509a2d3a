import { fromCents, toCents } from '../shared/decimal.ts';
import type { Breakdown, MinutePoint } from '../shared/types.ts';
import { MINUTE_MS } from '../shared/view.ts';

interface Bucket {
  cents: bigint;
  units: number;
  sales: number;
}

/**
 * Revenue per minute over the last hour, kept from the running total: each change of
 * analytics.revenue_total is added, exactly (in cents), to the minute it was seen in. Seeded once at
 * start from the sales ingested in the last hour. This avoids scanning the sales table every second.
 * Pure: the time is passed in.
 */
export class MinuteSeries {
  private readonly buckets = new Map<number, Bucket>();
  private last: { cents: bigint; units: number; sales: number } | undefined;

  constructor(private readonly minutes = 60) {}

  /** The sales counted per minute before the dashboard started, and the total they led to. */
  seed(points: readonly MinutePoint[], total: Breakdown): void {
    this.buckets.clear();
    for (const p of points)
      this.buckets.set(p.minute, { cents: toCents(p.revenue), units: p.units, sales: p.sales });
    this.last = { cents: toCents(total.revenue), units: total.units, sales: total.sales };
  }

  get seeded(): boolean {
    return this.last !== undefined;
  }

  /** The total as read now: its change since the previous reading goes to the current minute. */
  observe(total: Breakdown, nowMs: number): void {
    const current = { cents: toCents(total.revenue), units: total.units, sales: total.sales };
    if (this.last) {
      const delta = {
        cents: current.cents - this.last.cents,
        units: current.units - this.last.units,
        sales: current.sales - this.last.sales,
      };
      if (delta.cents !== 0n || delta.units !== 0 || delta.sales !== 0) {
        const minute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
        const bucket = this.buckets.get(minute) ?? { cents: 0n, units: 0, sales: 0 };
        bucket.cents += delta.cents;
        bucket.units += delta.units;
        bucket.sales += delta.sales;
        this.buckets.set(minute, bucket);
      }
    }
    this.last = current;
    const oldest = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - (this.minutes - 1) * MINUTE_MS;
    for (const minute of this.buckets.keys()) if (minute < oldest) this.buckets.delete(minute);
  }

  points(): MinutePoint[] {
    return [...this.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([minute, b]) => ({ minute, revenue: fromCents(b.cents), units: b.units, sales: b.sales }));
  }
}
