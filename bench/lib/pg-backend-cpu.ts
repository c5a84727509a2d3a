import fs from 'node:fs';
import pg from 'pg';
import { readEvery } from '../bench-stack.ts';
import { CLOCK_TICKS, readStat as ticks } from './proc-cpu.ts';

interface Seen {
  label: string;
  /** Ticks when first read (0 for a backend born after the meter started: it had used nothing before). */
  base: number;
  last: number;
}

/**
 * PostgreSQL's CPU by backend: every `intervalMs`, `pg_stat_activity` names each backend (its
 * application_name, else its backend type: walsender, autovacuum worker, checkpointer…) and /proc gives its
 * CPU. A backend that ends between two readings is caught by the postmaster's reaped time: what the
 * readings did not see of it is reported as `exited between readings`. The meter's own backend is
 * `bench (this meter)`.
 */
export function pgBackendCpuMeter(
  connectionString: string,
  postmasterPid: number,
  intervalMs = 500,
): { stop: (sales: number) => Promise<Record<string, number>> } {
  const client = new pg.Client({ connectionString, application_name: 'bench-pg-meter' });
  const seen = new Map<number, Seen>();
  const postmaster = ticks(postmasterPid);
  const startReaped = postmaster?.reaped ?? Number.NaN;
  const startOwn = postmaster?.own ?? Number.NaN;
  let first = true;
  const read = async () => {
    const { rows } = await client.query<{ pid: number; label: string }>(
      `SELECT pid, CASE WHEN application_name = 'bench-pg-meter' THEN 'bench (this meter)'
                        WHEN application_name <> '' THEN application_name
                        ELSE backend_type END AS label
         FROM pg_stat_activity`,
    );
    for (const { pid, label } of rows) {
      const t = ticks(pid);
      if (!t) continue;
      const known = seen.get(pid);
      if (known) known.last = t.own;
      else seen.set(pid, { label, base: first ? t.own : 0, last: t.own });
    }
    first = false;
  };
  const readings = readEvery(client, intervalMs, read);
  return {
    async stop(sales) {
      await readings.stop();
      await read();
      await client.end();
      const end = ticks(postmasterPid);
      const byLabel: Record<string, number> = {};
      let vanishedLast = 0;
      for (const [pid, s] of seen) {
        byLabel[s.label] = (byLabel[s.label] ?? 0) + (s.last - s.base);
        if (!fs.existsSync(`/proc/${pid}`)) vanishedLast += s.last;
      }
      byLabel['exited between readings'] = (end?.reaped ?? Number.NaN) - startReaped - vanishedLast;
      byLabel.postmaster = (end?.own ?? Number.NaN) - startOwn;
      return Object.fromEntries(
        Object.entries(byLabel)
          .filter(([, t]) => t > 0)
          .sort(([, a], [, b]) => b - a)
          .map(([label, t]) => [label, (t * 1000 * 1000) / CLOCK_TICKS / Math.max(1, sales)]),
      );
    },
  };
}
