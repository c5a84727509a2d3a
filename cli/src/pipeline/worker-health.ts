import { isAlive } from '@sales-pipeline/stack';
import type { WorkerName, WorkerRecord } from './pipeline-state.ts';

/** A worker's /healthz answer: its HTTP status and its JSON body's text. */
export interface HealthAnswer {
  status: number;
  text: string;
}

/** What `status` learnt of one worker process from its pid and its /healthz. */
export interface WorkerHealth {
  alive: boolean;
  /** Undefined when the worker is dead, serves no /healthz or did not answer. */
  answer: HealthAnswer | undefined;
  /** The rate the worker reports (`ratePerSecond`); undefined when its body has none. */
  rate: number | null | undefined;
}

/** GET with a 2 s timeout; undefined when nothing answered. */
export async function fetchText(url: string): Promise<HealthAnswer | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, text: await response.text() };
  } catch {
    return undefined;
  }
}

/** The JSON body of /healthz (platform/src/metrics-server.ts); an empty object when it is not JSON. */
function healthBody(text: string | undefined): {
  ratePerSecond?: unknown;
  detail?: { waitingFor?: unknown };
} {
  try {
    const body: unknown = JSON.parse(text ?? '');
    return typeof body === 'object' && body !== null ? body : {};
  } catch {
    return {};
  }
}

/**
 * The rate a worker reports in its /healthz body (`ratePerSecond`: a number, or null before it has two
 * readings); undefined when the body has none. Pure.
 */
export function reportedRate(healthzBody: string | undefined): number | null | undefined {
  if (!healthzBody) return undefined;
  const { ratePerSecond } = healthBody(healthzBody);
  if (ratePerSecond === null) return null;
  return typeof ratePerSecond === 'number' ? ratePerSecond : undefined;
}

/** What a worker's /healthz body says it waits for (`{"ok":true,"detail":{"waitingFor":[…]}}`). Pure. */
export function waitingFor(healthzBody: string | undefined): { waitingFor?: string[] } {
  const topics = healthBody(healthzBody).detail?.waitingFor;
  return Array.isArray(topics) && topics.length > 0 ? { waitingFor: topics.map(String) } : {};
}

/** Each worker's liveness and /healthz (which carries the rate the worker keeps itself, over its last 10 s). */
export async function readWorkerHealth(records: WorkerRecord[]): Promise<Map<WorkerName, WorkerHealth>> {
  return new Map(
    await Promise.all(
      records.map(async (r) => {
        const alive = r.pid !== undefined && isAlive(r.pid);
        const answer =
          alive && r.metricsPort ? await fetchText(`http://127.0.0.1:${r.metricsPort}/healthz`) : undefined;
        return [r.name, { alive, answer, rate: reportedRate(answer?.text) }] as const;
      }),
    ),
  );
}
