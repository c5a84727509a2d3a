import { percentile } from '../../bench-stack.ts';
import { STAMPS, type Stamp, type StampTable } from './hop-stamps.ts';

/** p50/p99/max/mean of latencies in ms (0.1 ms), and how many were negative (clocks disagreeing). */
export function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round1 = (n: number) => Math.round(n * 10) / 10;
  return {
    samples: sorted.length,
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1) ?? Number.NaN),
    meanMs: round1(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    negative: sorted.filter((v) => v < 0).length,
  };
}
export type Stats = ReturnType<typeof stats>;
export type Hop = { from: Stamp; to: Stamp } & Stats;

/** The milestones recorded from the window's sales: commit minus the crossing sale's stamps. */
export interface MilestoneLatencies {
  aggregateToMilestone: number[];
  appendedToMilestone: number[];
}

/**
 * The latency of each hop over the sales that have every timestamp, so that the mean hops add up to the
 * mean end-to-end; end-to-end figures over every sale; how many sales have each timestamp.
 */
export function hopLatencies(stamp: StampTable, milestones: MilestoneLatencies) {
  const sales = stamp.appended.length;
  const complete: number[] = [];
  for (let i = 0; i < sales; i++) if (STAMPS.every((s) => !Number.isNaN(stamp[s][i]))) complete.push(i);
  const diffs = (from: Stamp, to: Stamp, among: Iterable<number>) => {
    const values: number[] = [];
    for (const i of among) {
      const v = (stamp[to][i] as number) - (stamp[from][i] as number);
      if (!Number.isNaN(v)) values.push(v);
    }
    return values;
  };
  const every = Array.from({ length: sales }, (_, i) => i);
  const hops: Hop[] = STAMPS.slice(1).map((to, k) => {
    const from = STAMPS[k] as Stamp;
    return { from, to, ...stats(diffs(from, to, complete)) };
  });
  return {
    complete: complete.length,
    hops,
    milestoneHop: stats(milestones.aggregateToMilestone),
    endToEnd: {
      row: stats(diffs('appended', 'rowCommitted', every)),
      aggregates: stats(diffs('appended', 'aggregated', every)),
      aggregatesOfComplete: stats(diffs('appended', 'aggregated', complete)),
      milestone: stats(milestones.appendedToMilestone),
    },
    coverage: Object.fromEntries(
      STAMPS.map((s) => [s, stamp[s].reduce((n, v) => n + (Number.isNaN(v) ? 0 : 1), 0)]),
    ),
  };
}
export type HopLatencies = ReturnType<typeof hopLatencies>;
