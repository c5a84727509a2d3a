import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@sales-pipeline/platform';
import {
  nativeComponentPid,
  nativeRestart,
  type NativeComponent,
  type StackConfig,
} from '@sales-pipeline/stack';
import type { Prng } from './prng.ts';
import type { WorkerSupervisor } from './supervisor.ts';

export const WORKER_TARGETS = [
  'producer',
  'snapshot-producer',
  'backfill',
  'consumer',
  'analytics',
  'notifier',
] as const;
export const STACK_TARGETS = ['kafka', 'connect', 'postgres'] as const satisfies readonly NativeComponent[];
export const ALL_TARGETS = [...WORKER_TARGETS, ...STACK_TARGETS] as const;
export type Target = (typeof ALL_TARGETS)[number];
const isWorker = (target: Target): target is (typeof WORKER_TARGETS)[number] =>
  (WORKER_TARGETS as readonly string[]).includes(target);

/** One line of the timeline. */
export interface TimelineEntry {
  /** ms since the start of the run. */
  atMs: number;
  target: string;
  action: 'kill -9' | 'exited by itself' | 'restart failed' | 'skipped';
  pid?: number;
  /** From the kill until the component was healthy again (stack) or respawned (worker). */
  restartMs?: number;
  detail?: string;
}

/** Pids of `pid` and all its descendants, read from /proc (PostgreSQL's backends are in process groups of their own). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const tree: number[] = [];
  const visit = (p: number) => {
    tree.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `kill -9` a process and every descendant at once (a crash of the whole server), and waits until all are gone. */
export async function killTree(pid: number): Promise<void> {
  const tree = processTree(pid);
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 30_000;
  while (tree.some(alive) && Date.now() < deadline) await sleep(20);
}

/**
 * The order of the kills: when there are at least as many kills as targets, every target is killed once
 * first (in a random order, the backfill first: it ends once its history is in), then targets are drawn
 * at random. Deterministic for a seed.
 */
export function killPlan(
  rng: Prng,
  kills: number,
  intervalMs: number,
): Array<{ target: Target; waitMs: number }> {
  const shuffled = kills >= ALL_TARGETS.length ? rng.shuffle(ALL_TARGETS) : [];
  const targets: Target[] = shuffled.includes('backfill')
    ? ['backfill', ...shuffled.filter((t) => t !== 'backfill')]
    : shuffled;
  while (targets.length < kills) targets.push(rng.pick(ALL_TARGETS));
  return targets.map((target) => ({ target, waitMs: Math.round(intervalMs * (0.5 + rng.next())) }));
}

/**
 * Executes a kill plan: waits, `kill -9`s the target, and restarts it — workers are respawned by their
 * supervisor; a stack component is restarted on its ports with {@link nativeRestart} (retried while it
 * fails). One kill at a time; each is recorded in `timeline`.
 */
export class Killer {
  constructor(
    private readonly stackConfig: StackConfig,
    private readonly workers: Record<(typeof WORKER_TARGETS)[number], WorkerSupervisor>,
    private readonly timeline: TimelineEntry[],
    private readonly startedAt: number,
    private readonly logger: Logger,
    private readonly print: (line: string) => void,
    /** Where the run stands at a kill (how much of the feed is written), for the timeline. */
    private readonly moment: () => string = () => '',
    /**
     * A target killed only once this says so (the backfill: part-way through its history, so that the
     * kill lands before it finishes); waited for up to two minutes.
     */
    private readonly readyToKill: Partial<Record<Target, () => Promise<boolean>>> = {},
  ) {}

  /** How many waits have begun: the feed is released slice by slice as they do. */
  waitsStarted = 0;
  done = false;

  async run(plan: Array<{ target: Target; waitMs: number }>, signal?: AbortSignal): Promise<void> {
    try {
      await this.runPlan(plan, signal);
    } finally {
      this.done = true;
    }
  }

  private async runPlan(
    plan: Array<{ target: Target; waitMs: number }>,
    signal?: AbortSignal,
  ): Promise<void> {
    for (const [index, step] of plan.entries()) {
      this.waitsStarted++;
      await sleep(step.waitMs);
      if (signal?.aborted) return;
      const entry = await this.killAndRestart(step.target);
      this.print(
        `[chaos] kill ${index + 1}/${plan.length}: ${entry.target}${entry.pid ? ` (pid ${entry.pid})` : ''} ` +
          `${entry.action}${entry.restartMs !== undefined ? `, back in ${(entry.restartMs / 1000).toFixed(1)} s` : ''}` +
          (entry.detail ? ` — ${entry.detail}` : ''),
      );
    }
  }

  private async killAndRestart(target: Target): Promise<TimelineEntry> {
    const ready = this.readyToKill[target];
    if (ready) {
      const deadline = Date.now() + 120_000;
      const finished = () => isWorker(target) && this.workers[target].finished;
      while (Date.now() < deadline && !finished() && !(await ready().catch(() => false))) await sleep(100);
    }
    const at = Date.now();
    const moment = this.moment();
    const entry: TimelineEntry = {
      atMs: at - this.startedAt,
      target,
      action: 'kill -9',
      ...(moment ? { detail: moment } : {}),
    };
    this.timeline.push(entry);
    if (isWorker(target)) {
      const worker = this.workers[target];
      const pid = await worker.kill9();
      if (pid === undefined) {
        Object.assign(entry, {
          action: 'skipped',
          detail: worker.finished ? 'it had finished (exit code 0)' : 'not running (being respawned)',
        });
        return entry;
      }
      entry.pid = pid;
      entry.restartMs = Date.now() - at;
      return entry;
    }
    const pid = nativeComponentPid(this.stackConfig, target);
    if (pid === undefined) {
      entry.detail = `was not running; ${moment}`;
    } else {
      entry.pid = pid;
      await killTree(pid);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await nativeRestart(this.stackConfig, this.logger, target);
        entry.restartMs = Date.now() - at;
        return entry;
      } catch (error) {
        const failure: TimelineEntry = {
          atMs: Date.now() - this.startedAt,
          target,
          action: 'restart failed',
          detail: (error as Error).message.split('\n')[0],
        };
        this.timeline.push(failure);
        this.print(`[chaos] restart of ${target} failed (attempt ${attempt}): ${failure.detail}`);
        if (attempt >= 5) throw error;
        // a half-started JVM would hold the ports: kill it before trying again
        const again = nativeComponentPid(this.stackConfig, target);
        if (again !== undefined) await killTree(again);
        await sleep(2_000);
      }
    }
  }
}
