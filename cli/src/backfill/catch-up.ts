import { setTimeout as sleep } from 'node:timers/promises';

/** Offsets by topic and partition. */
export type Offsets = Map<string, Map<number, bigint>>;

/**
 * Messages a group has still to take before `ends` (the topics' ends when the wait began), summed. A
 * transactional topic ends with a commit marker, which no consumer stores past: a partition is taken
 * once the group's next offset reaches its end less one. A partition the group never stored is all to
 * take. Pure.
 */
export function messagesBehind(stored: Offsets, ends: Offsets): bigint {
  let behind = 0n;
  for (const [topic, partitions] of ends) {
    for (const [partition, end] of partitions) {
      if (end === 0n) continue;
      const next = stored.get(topic)?.get(partition) ?? 0n;
      const left = end - 1n - next;
      if (left > 0n) behind += left;
    }
  }
  return behind;
}

/** One stage of the wait: what it waits for, and how far it is (0 when done). */
export interface Stage {
  name: string;
  /** What is left, in the stage's own unit; 0 once done; undefined to skip the stage. */
  left(): Promise<bigint | number | undefined>;
  unit: string;
}

/**
 * Waits for each stage in turn, polling every `pollMs`, and reports what is left to `report` at each
 * poll. Returns false if `stop` aborted first.
 */
export async function waitForStages(
  stages: Stage[],
  report: (stage: Stage, left: bigint | number) => void,
  stop: AbortSignal,
  pollMs = 500,
): Promise<boolean> {
  for (const stage of stages) {
    for (;;) {
      if (stop.aborted) return false;
      const left = await stage.left();
      if (left === undefined || left === 0 || left === 0n) break;
      report(stage, left);
      await sleep(pollMs, undefined, { signal: stop }).catch(() => undefined);
    }
  }
  return !stop.aborted;
}
