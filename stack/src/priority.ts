import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { nativeComponentPid } from './native-nodes.ts';
import type { StackConfig } from './config.ts';

/**
 * DOWNSTREAM_NICE: the niceness (0–19) of the stages after Kafka when they share the machine's cores with
 * the ingest: the consumer, analytics and the notifier, and, in a native stack, Kafka Connect and
 * PostgreSQL. With 10, a saturated machine answers tills and feeds first and the change stream catches up
 * after the burst; 0 leaves every process equal. Unset: see {@link resolveDownstreamNice}.
 */
const NICE_RANGE = 'must be a whole number from 0 to 19';
export const downstreamNiceSchema = z.coerce
  .number({ error: NICE_RANGE })
  .int(NICE_RANGE)
  .min(0, NICE_RANGE)
  .max(19, NICE_RANGE)
  .optional();

/**
 * The downstream's niceness when DOWNSTREAM_NICE is not set and the HTTP ingest server runs: a till waits
 * for its answer, the aggregates can catch up after a burst. `npm run bench -- http` on 2026-12-07, one run
 * each: 4,763 sales/s answered in batches of 100 at 0 (the two cores shared with everything downstream),
 * 15,790 at 10, the aggregates 121 s behind at the burst's end, every sale counted after.
 */
export const INGEST_DOWNSTREAM_NICE = 10;

/** DOWNSTREAM_NICE as given, else {@link INGEST_DOWNSTREAM_NICE} while the ingest server runs, else 0. Pure. */
export function resolveDownstreamNice(configured: number | undefined, ingest: boolean): number {
  return configured ?? (ingest ? INGEST_DOWNSTREAM_NICE : 0);
}

/** The niceness a worker of this name runs at under DOWNSTREAM_NICE (the stages after Kafka only). */
export function workerNice(name: string, downstreamNice: number): number {
  return ['consumer', 'analytics', 'notifier'].includes(name) ? downstreamNice : 0;
}

/** The threads of a process (Linux: /proc/<pid>/task); empty when it is gone or /proc is absent. */
function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** The pids of the direct children of each process, from /proc/<pid>/stat (Linux). */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return children;
  }
  for (const entry of entries) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid …: the command name may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

/** The session a process belongs to (field 6 of /proc/<pid>/stat), or undefined when it is gone. */
function sessionOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return undefined;
  }
}

/**
 * With the kernel's autogroups (sched_autogroup_enabled, the default of most distributions), each session
 * is scheduled as one group against the others and a thread's niceness only counts within its group: a
 * process that leads its own session (a daemon, a detached worker) gets the group's niceness too. Never
 * for a process sharing its caller's session, whose group holds the caller. Returns whether it was set.
 */
export function lowerSessionPriority(pid: number, nice: number): boolean {
  if (nice <= 0 || sessionOf(pid) !== pid) return false;
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return true;
  } catch {
    return false; // no autogroups (the file is absent) or not allowed
  }
}

/**
 * Gives a running process, every one of its threads and every descendant (a JVM's threads, PostgreSQL's
 * backends) the niceness `nice`, and to those that lead a session, their autogroup's
 * ({@link lowerSessionPriority}); threads and processes they start later inherit it. Only ever lowers the
 * priority: an unprivileged user may not raise it back. Returns how many threads were changed (0 off
 * Linux, where /proc is missing).
 */
export function lowerPriority(pid: number, nice: number): number {
  if (nice <= 0) return 0;
  const children = childrenByParent();
  let changed = 0;
  const visit = (p: number) => {
    lowerSessionPriority(p, nice);
    for (const tid of threadsOf(p)) {
      try {
        if (os.getPriority(tid) < nice) {
          os.setPriority(tid, nice);
          changed++;
        }
      } catch {
        // the thread ended meanwhile
      }
    }
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return changed;
}

/** DOWNSTREAM_NICE for a running native stack's Connect and PostgreSQL: threads changed, by component. */
export function lowerNativeStackPriority(config: StackConfig, nice: number): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const component of ['connect', 'postgres'] as const) {
    const pid = nativeComponentPid(config, component);
    if (pid !== undefined) changed[component] = lowerPriority(pid, nice);
  }
  return changed;
}
