import { setTimeout as sleep } from 'node:timers/promises';

/** Offsets by topic and partition. */
export type Offsets = Map<string, Map<number, bigint>>;

/**
 * Messages a group has still to take before `ends` (the topics' ends when the wait began), summed. A
 * partition the group never stored is all to take. With `markers` (a transactional topic: it ends with a
 * commit marker, which no consumer stores past), a partition is taken once the group's next offset
 * reaches its end less one; without (Debezium's topics), its end. Pure.
 */
export function messagesBehind(stored: Offsets, ends: Offsets, markers: boolean): bigint {
  let behind = 0n;
  for (const [topic, partitions] of ends) {
    for (const [partition, end] of partitions) {
      if (end === 0n) continue;
      const next = stored.get(topic)?.get(partition) ?? 0n;
      const left = end - (markers ? 1n : 0n) - next;
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
  /** What to look at when it does not move. */
  hint?: string;
}

/** What a wait reports at each poll: what is left, or why it cannot be told now. */
export type StageReport = { left: bigint | number } | { error: Error };

/**
 * Waits for each stage in turn, polling every `pollMs`, and reports what is left (or the error that kept
 * it from being read: the stage is read again) to `report` at each poll. `stalled` is called when a stage
 * has not gone down for `stallMs` (then again each `stallMs`). Returns false if `stop` aborted first.
 */
export async function waitForStages(
  stages: Stage[],
  report: (stage: Stage, seen: StageReport) => void,
  stop: AbortSignal,
  pollMs = 500,
  stalled: (stage: Stage, stalledMs: number) => void = () => undefined,
  stallMs = 60_000,
): Promise<boolean> {
  for (const stage of stages) {
    let lowest: bigint | undefined;
    let movedAt = Date.now();
    let toldAt = movedAt;
    for (;;) {
      if (stop.aborted) return false;
      let left: bigint | number | undefined;
      const asked = Date.now();
      try {
        left = await stage.left();
      } catch (error) {
        report(stage, { error: error as Error });
        await sleep(pollMs, undefined, { signal: stop }).catch(() => undefined);
        continue;
      }
      if (left === undefined || left === 0 || left === 0n) break;
      const now = Date.now();
      if (lowest === undefined || BigInt(left) < lowest) {
        lowest = BigInt(left);
        movedAt = toldAt = now;
      } else if (now - toldAt >= stallMs) {
        toldAt = now;
        stalled(stage, now - movedAt);
      }
      report(stage, { left });
      // A question that takes long (the aggregates' count reads every sale of the backfill) is asked less
      // often: the wait takes at most a fifth of a core from the pipeline it waits for.
      const waitMs = Math.max(pollMs, 4 * (Date.now() - asked));
      await sleep(waitMs, undefined, { signal: stop }).catch(() => undefined);
    }
  }
  return !stop.aborted;
}

/** A published step of history: how many sales it has, and its last one. */
export interface Step {
  sales: number;
  lastSaleId: string | undefined;
}

/**
 * History in flight: the steps published whose last sale has not gone through the pipeline yet (its row
 * in `sales` and its fact in the aggregates). {@link InFlight.before} holds the next step back while more
 * than `max` sales are in flight (0: never). Steps go through in order, so only the oldest is looked at.
 */
export class InFlight {
  private readonly steps: Array<{ sales: number; lastSaleId: string }> = [];
  private sales = 0;

  constructor(
    private readonly through: (saleId: string) => Promise<boolean>,
    private readonly max: number,
    private readonly pollMs: number,
    private readonly stop: AbortSignal,
    /** Called when the oldest step has not moved for `stuckMs` (then again each `stuckMs`). */
    private readonly stuck: (waitedMs: number, inFlight: number) => void = () => undefined,
    private readonly stuckMs = 30_000,
  ) {}

  /** Sales in flight now (0 without a limit: nothing is tracked then). */
  get count(): number {
    return this.sales;
  }

  /** Waits until `step` may be published, and counts it in flight. */
  async before(step: Step): Promise<void> {
    let since = Date.now();
    let told = since;
    while (this.max > 0 && this.sales > 0 && this.sales + step.sales > this.max && !this.stop.aborted) {
      const oldest = this.steps[0] as { sales: number; lastSaleId: string };
      if (await this.through(oldest.lastSaleId)) {
        this.steps.shift();
        this.sales -= oldest.sales;
        since = told = Date.now();
        continue;
      }
      if (Date.now() - told >= this.stuckMs) {
        told = Date.now();
        this.stuck(told - since, this.sales);
      }
      await sleep(this.pollMs, undefined, { signal: this.stop }).catch(() => undefined);
    }
    // Without a limit nothing is ever looked at again: not tracked (a list of every step otherwise, one
    // entry per 32 KiB of history for the whole file).
    if (this.max > 0 && step.lastSaleId !== undefined && step.sales > 0) {
      this.steps.push({ sales: step.sales, lastSaleId: step.lastSaleId });
      this.sales += step.sales;
    }
  }
}
