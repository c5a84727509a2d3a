import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '@sales-pipeline/stack';
import type { WorkerName, WorkerRecord } from './pipeline-state.ts';
import { sumCounter } from './prometheus-text.ts';
import { fetchText, type WorkerHealth } from './worker-health.ts';

/** The counter that tells each worker's throughput (the one it reports the rate of in /healthz). */
export const RATE_METRIC: Partial<Record<WorkerName, { name: string; filter?: string }>> = {
  producer: { name: 'producer_lines_read_total' },
  consumer: { name: 'consumer_rows_applied_total', filter: 'kind="sale"' },
  analytics: { name: 'analytics_changes_total', filter: 'outcome="applied"' },
  notifier: { name: 'notifier_milestones_recorded_total' },
};

async function readCounters(records: WorkerRecord[]): Promise<Map<WorkerName, number | undefined>> {
  return new Map(
    await Promise.all(
      records.map(async (r) => {
        const metric = RATE_METRIC[r.name];
        if (!metric || !r.metricsPort || r.pid === undefined || !isAlive(r.pid))
          return [r.name, undefined] as const;
        const answer = await fetchText(`http://127.0.0.1:${r.metricsPort}/metrics`);
        return [r.name, answer ? sumCounter(answer.text, metric.name, metric.filter) : undefined] as const;
      }),
    ),
  );
}

/**
 * The rates of the workers whose /healthz answered without one (an older worker): their counters read
 * from /metrics twice, `sampleMs` apart. Empty (and at once) when every worker reports its own rate.
 */
export async function sampleUnreportedRates(
  records: WorkerRecord[],
  health: ReadonlyMap<WorkerName, WorkerHealth>,
  sampleMs: number,
): Promise<Map<WorkerName, number | null>> {
  const unreported = records.filter((r) => {
    const h = health.get(r.name);
    return RATE_METRIC[r.name] && h?.alive && h.answer && h.rate === undefined;
  });
  if (unreported.length === 0) return new Map();
  const first = await readCounters(records);
  const started = performance.now();
  await sleep(sampleMs);
  const second = await readCounters(records);
  const elapsed = (performance.now() - started) / 1000;
  return new Map(
    records.map((r) => {
      const a = first.get(r.name);
      const b = second.get(r.name);
      return [r.name, a !== undefined && b !== undefined ? (b - a) / elapsed : null] as const;
    }),
  );
}
