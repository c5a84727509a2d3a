import { setTimeout as sleep } from 'node:timers/promises';

/** Sleeps `ms`, waking early when `stop` aborts; true when stopping. */
export async function idle(ms: number, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return true;
  await sleep(ms, undefined, { signal: stop }).catch(() => undefined);
  return stop.aborted;
}
