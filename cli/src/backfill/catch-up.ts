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

  /** Sales in flight now. */
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
    if (step.lastSaleId !== undefined && step.sales > 0) {
      this.steps.push({ sales: step.sales, lastSaleId: step.lastSaleId });
      this.sales += step.sales;
    }
  }
}
