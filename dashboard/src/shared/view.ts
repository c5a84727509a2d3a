import { compareDecimal } from './decimal.ts';
import type { MinutePoint, PipelineSection, SourcesHealth } from './types.ts';

/**
 * The page's data transformations, kept pure (no DOM) so that each is unit-tested: sorting a table,
 * bar lengths, the minute window of the revenue chart, and what is down in the pipeline.
 */

export type ColumnKind = 'text' | 'count' | 'money';
export type SortDirection = 'asc' | 'desc';

/**
 * Sorts rows by one column: money columns by their exact decimal value, counts as numbers, text in the
 * page's language (null last). Ties keep the server's order. Returns a new array.
 */
export function sortRows<T extends object>(
  rows: readonly T[],
  key: keyof T,
  kind: ColumnKind,
  direction: SortDirection,
  locale = 'fr',
): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  const collator = new Intl.Collator(locale, { numeric: true, sensitivity: 'base' });
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = a.row[key] as unknown;
      const y = b.row[key] as unknown;
      if (x === null || x === undefined) return y === null || y === undefined ? a.index - b.index : 1;
      if (y === null || y === undefined) return -1;
      let order: number;
      if (kind === 'money') order = compareDecimal(String(x), String(y));
      else if (kind === 'count') order = Number(x) - Number(y);
      else order = collator.compare(String(x), String(y));
      return order * sign || a.index - b.index;
    })
    .map((entry) => entry.row);
}

/**
 * The length of each bar, in percent of the largest value (0–100). Numbers are used for lengths only,
 * never for a total shown as text.
 */
export function barLengths(values: readonly string[]): number[] {
  const numbers = values.map((v) => Math.max(0, Number(v)));
  const max = Math.max(0, ...numbers.filter(Number.isFinite));
  return numbers.map((n) => (max > 0 && Number.isFinite(n) ? Math.round((n / max) * 1000) / 10 : 0));
}

export const MINUTE_MS = 60_000;

/**
 * The revenue chart's last `minutes` minutes ending with the current one, a point per minute, minutes
 * without sales at zero: x in seconds (uPlot's unit), y the revenue as a number (bar height only), and
 * the exact revenue strings for the labels.
 */
export function minuteWindow(
  points: readonly MinutePoint[],
  nowMs: number,
  minutes = 60,
): { x: number[]; y: number[]; revenue: string[]; sales: number[] } {
  const byMinute = new Map(points.map((p) => [p.minute, p]));
  const current = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const out = { x: [] as number[], y: [] as number[], revenue: [] as string[], sales: [] as number[] };
  for (let m = current - (minutes - 1) * MINUTE_MS; m <= current; m += MINUTE_MS) {
    const p = byMinute.get(m);
    out.x.push(m / 1000);
    out.y.push(p ? Number(p.revenue) : 0);
    out.revenue.push(p ? p.revenue : '0.00');
    out.sales.push(p ? p.sales : 0);
  }
  return out;
}

/** `2024-03-01` → seconds since the epoch at UTC midnight (the x of the per-day chart). */
export function dayToSeconds(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/**
 * What is wrong, in one line each, for the banner: the dashboard's own sources first (database,
 * pipeline status), then stopped or unhealthy workers, components, the connector and its tasks, an
 * inactive replication slot. Empty when everything is up.
 */
export function pipelineProblems(pipeline: PipelineSection | null, sources: SourcesHealth | null): string[] {
  const problems: string[] = [];
  if (sources && !sources.database.ok)
    problems.push(`database unreachable: ${sources.database.error ?? 'no answer'}`);
  if (sources && !sources.pipeline.ok)
    problems.push(`pipeline status unavailable: ${sources.pipeline.error ?? 'no answer'}`);
  if (!pipeline) return problems;
  if (pipeline.mode === 'none') problems.push('the stack is not running');
  if (pipeline.supervisor && !pipeline.supervisor.alive) problems.push('the supervisor is not running');
  if (pipeline.workers.length === 0)
    problems.push('no worker is running (start them with: sales-pipeline up)');
  for (const w of pipeline.workers) {
    if (w.failed) problems.push(`${w.name}: ${w.failed}`);
    else if (!w.alive) problems.push(`${w.name} is not running`);
    else if (w.healthy === false) problems.push(`${w.name} is unhealthy`);
  }
  for (const c of pipeline.components)
    if (!c.healthy && c.name !== 'connector') problems.push(`${c.name}: ${c.detail}`);
  const connector = pipeline.connector;
  if (connector) {
    if (connector.state !== 'RUNNING') problems.push(`connector ${connector.name} is ${connector.state}`);
    for (const t of connector.tasks)
      if (t.state !== 'RUNNING') problems.push(`connector task ${t.id} is ${t.state}`);
  } else if (pipeline.mode !== 'none') {
    const c = pipeline.components.find((x) => x.name === 'connector');
    if (c && !c.healthy) problems.push(`connector: ${c.detail}`);
  }
  if (pipeline.replicationSlot && !pipeline.replicationSlot.active)
    problems.push(`replication slot ${pipeline.replicationSlot.name} is inactive`);
  return problems;
}
