import fs from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ: 100 on every Linux we run on). */
export const CLOCK_TICKS = 100;

export interface ProcStat {
  ppid: number;
  /** utime + stime of the process itself (all its threads), in ticks. */
  own: number;
  /** cutime + cstime: of its children that exited and were waited for, in ticks. */
  reaped: number;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] = state (field 3), f[1] = ppid (4), f[11..14] = utime, stime, cutime, cstime (14..17)
  return {
    ppid: Number(f[1]),
    own: Number(f[11]) + Number(f[12]),
    reaped: Number(f[13]) + Number(f[14]),
  };
}

/** One reading of the CPU time of process trees: per named root, and when it was read. */
export interface CpuSnapshot {
  at: number;
  /** CPU ms of each tree: every live process of it (utime+stime+cutime+cstime), by name. */
  ms: Record<string, number>;
  /** How many live processes each tree had. */
  processes: Record<string, number>;
}

/**
 * Reads /proc once and sums, for each named root pid, utime + stime + cutime + cstime over the root and
 * every live descendant (found through the ppid of /proc/<pid>/stat). A child that exits and is waited for
 * moves its whole time (its own and its reaped children's) into its parent's cutime/cstime, so the sum only
 * grows and the difference of two readings is the CPU the tree used in between — PostgreSQL's backends,
 * started and ended during a window, included. (A descendant orphaned to init would drop out: the stack's
 * processes do not orphan theirs.)
 */
export function cpuSnapshot(roots: Record<string, number>): CpuSnapshot {
  const stats = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const at = Date.now();
  const ms: Record<string, number> = {};
  const processes: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    let ticks = 0;
    let count = 0;
    const queue = [root];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      const stat = stats.get(pid);
      if (!stat) continue;
      ticks += stat.own + stat.reaped;
      count++;
      queue.push(...(children.get(pid) ?? []));
    }
    ms[name] = (ticks * 1000) / CLOCK_TICKS;
    processes[name] = count;
  }
  return { at, ms, processes };
}

/** CPU of this process alone (its own threads, not its children), in ms. */
export function ownCpuMs(): number {
  const stat = readStat(process.pid);
  return stat ? (stat.own * 1000) / CLOCK_TICKS : Number.NaN;
}

/** CPU ms each tree used between two snapshots, and the window's length. */
export function cpuBetween(
  start: CpuSnapshot,
  end: CpuSnapshot,
): { windowMs: number; ms: Record<string, number>; processes: Record<string, number> } {
  return {
    windowMs: end.at - start.at,
    ms: Object.fromEntries(Object.entries(end.ms).map(([k, v]) => [k, v - (start.ms[k] ?? Number.NaN)])),
    processes: end.processes,
  };
}

/**
 * The CPU of each process tree (and of this process: the load tools run in it, as `bench`) from now until
 * `stop`: cores busy over the window, and ms per sale by process, highest first.
 */
export function cpuMeter(roots: Record<string, number>): {
  stop: (sales: number) => { perSale: Record<string, number>; coresBusy: number };
} {
  const start = { cpu: cpuSnapshot(roots), bench: ownCpuMs() };
  return {
    stop(sales) {
      const window = cpuBetween(start.cpu, cpuSnapshot(roots));
      const ms: Record<string, number> = { ...window.ms, bench: ownCpuMs() - start.bench };
      // A process that exited in the window is not in the last snapshot: its share is unknown, not negative.
      for (const [name, used] of Object.entries(ms)) if (used < 0) delete ms[name];
      const perSale = Object.fromEntries(
        Object.entries(ms)
          .sort(([, a], [, b]) => b - a)
          .map(([name, used]) => [name, used / Math.max(1, sales)]),
      );
      const coresBusy = Object.values(ms).reduce((sum, used) => sum + used, 0) / window.windowMs;
      return { perSale, coresBusy };
    },
  };
}

/** `name 26 µs, name 13 µs, …`: CPU a sale (or a row, a line) by process tree, as the parts print it. */
export function cpuPerSaleText(perSale: Record<string, number>): string {
  return Object.entries(perSale)
    .map(([name, ms]) => `${name} ${(ms * 1000).toFixed(0)} µs`)
    .join(', ');
}
