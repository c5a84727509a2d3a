import type { CheckResult } from './checks.ts';
import type { TimelineEntry } from './killer.ts';
import type { ChaosRules } from './rules.ts';

/** What a chaos run found: its timeline and its checks (also written to `<runDir>/result.json`). */
export interface ChaosResult {
  passed: boolean;
  seed: number;
  sales: number;
  validLines: number;
  badLines: number;
  kills: number;
  durationMs: number;
  caughtUp: boolean;
  /** From the last kill's restart until everything had caught up. */
  catchUpMs: number;
  rules: ChaosRules;
  timeline: TimelineEntry[];
  checks: CheckResult[];
  runDir: string;
}

/** The timeline and the checks, for a terminal. */
export function formatChaosResult(result: ChaosResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    '',
    `Chaos run — seed ${result.seed} (replay: CHAOS_SEED=${result.seed} CHAOS_SALES=${result.sales} …)`,
    `${result.sales} lines (${result.validLines} valid, ${result.badLines} bad), ${result.kills} kills, ${s(result.durationMs)} in all, caught up ${result.caughtUp ? `${s(result.catchUpMs)} after the last restart` : 'NOT'}`,
    '',
    'Timeline:',
    '   at       target      action             pid      back in',
  ];
  for (const t of result.timeline) {
    lines.push(
      `  ${s(t.atMs).padStart(8)}  ${t.target.padEnd(10)}  ${t.action.padEnd(17)}  ${String(t.pid ?? '').padEnd(7)}  ${
        t.restartMs !== undefined ? s(t.restartMs) : ''
      }${t.detail ? `  ${t.detail}` : ''}`,
    );
  }
  const byTarget = new Map<string, number[]>();
  for (const t of result.timeline)
    if (t.restartMs !== undefined) byTarget.set(t.target, [...(byTarget.get(t.target) ?? []), t.restartMs]);
  lines.push(
    '',
    'Restart durations (kill → healthy/respawned): ' +
      [...byTarget]
        .map(([target, ms]) => `${target} ${ms.map((m) => (m / 1000).toFixed(1)).join('/')} s`)
        .join('; '),
    '',
    'Checks:',
  );
  for (const c of result.checks) {
    lines.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.summary}`);
    for (const d of c.details) lines.push(`          ${d}`);
  }
  lines.push(
    '',
    result.passed
      ? `CHAOS PASSED (seed ${result.seed})`
      : `CHAOS FAILED (seed ${result.seed}) — logs and result.json in ${result.runDir}`,
  );
  return lines.join('\n');
}
