import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@sales-pipeline/platform';
import { isAlive, waitFor } from '@sales-pipeline/stack';
import { readPipelineState, type WorkerName } from './pipeline-state.ts';
import { supervise, type RestartPolicy } from './supervisor.ts';
import { CRASH_LIMIT, planWorkers, type WorkerSpec } from './worker-plan.ts';

/**
 * A tiny worker: `worker.mjs <name> <run|crash> <journal>`. It appends what happens to it to the shared
 * journal: `ready` once its SIGTERM handler is in place, `sigterm` when the signal comes, and `exit` a
 * moment later (so that a supervisor stopping everyone at once would interleave the lines); `crash`
 * exits with code 1 at once.
 */
const WORKER = `
import fs from 'node:fs';
const [name, mode, journal] = process.argv.slice(2);
const note = (what) => fs.appendFileSync(journal, name + ' ' + what + ' ' + process.pid + '\\n');
if (mode === 'crash') { note('crash'); process.exit(1); }
process.on('SIGTERM', () => {
  note('sigterm');
  setTimeout(() => { note('exit'); process.exit(0); }, 150);
});
setInterval(() => {}, 60_000);
note('ready');
`;

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-supervise-'));
  dirs.push(dir);
  const bin = path.join(dir, 'worker.mjs');
  fs.writeFileSync(bin, WORKER);
  const journal = path.join(dir, 'journal.txt');
  fs.writeFileSync(journal, '');
  const entries = () =>
    fs
      .readFileSync(journal, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, what, pid] = line.split(' ');
        return { name: name as WorkerName, what: what as string, pid: Number(pid) };
      });
  const spec = (name: WorkerName, mode: 'run' | 'crash'): WorkerSpec => ({
    name,
    args: [name, mode, journal],
    metrics: false,
  });
  return { home: path.join(dir, 'home'), bin, entries, spec };
}

function run(
  home: string,
  bin: string,
  specs: WorkerSpec[],
  policy?: Partial<RestartPolicy>,
): { stop: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const done = supervise(
    {
      home,
      mode: 'native',
      demo: false,
      feeds: {},
      specs,
      env: { PATH: process.env.PATH },
      logger: createLogger('supervisor-test', 'silent'),
      bin,
      policy,
    },
    stop.signal,
  );
  return { stop, done };
}

describe('supervise() with real worker processes', () => {
  it('stops the feed first and each stage only after the one feeding it has exited', async () => {
    const { home, bin, entries, spec } = setup();
    // Started in plan order (downstream first), with the demo's producer and simulator.
    const names = planWorkers({ sales: 'x' }, { rate: 1, salesFile: 'x' }).map((w) => w.name);
    const { stop, done } = run(
      home,
      bin,
      names.map((name) => spec(name, 'run')),
    );
    await waitFor(
      'every worker ready',
      async () => (entries().filter((e) => e.what === 'ready').length === names.length ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    const pids = entries().map((e) => e.pid);

    stop.abort();
    await done;

    const stopping = entries()
      .filter((e) => e.what !== 'ready')
      .map((e) => `${e.name} ${e.what}`);
    expect(stopping).toEqual(
      ['simulator', 'producer', 'consumer', 'analytics', 'notifier'].flatMap((n) => [
        `${n} sigterm`,
        `${n} exit`,
      ]),
    );
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(readPipelineState(home)).toBeUndefined();
  }, 30_000);

  it(`leaves a worker that crashes more than ${CRASH_LIMIT} times within the window FAILED, not restarted`, async () => {
    const { home, bin, entries, spec } = setup();
    const restartDelayMs = () => 50;
    const { stop, done } = run(home, bin, [spec('consumer', 'run'), spec('notifier', 'crash')], {
      restartDelayMs,
    });
    try {
      const failed = await waitFor(
        'the notifier marked failed',
        async () => readPipelineState(home)?.workers.notifier?.failed,
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      expect(failed).toMatch(new RegExp(`^crashed ${CRASH_LIMIT + 1} times in 120 s`));
      // No restart is pending: ten restart delays later it still ran exactly CRASH_LIMIT + 1 times.
      await new Promise((resolve) => setTimeout(resolve, 10 * restartDelayMs()));
      expect(entries().filter((e) => e.name === 'notifier' && e.what === 'crash')).toHaveLength(
        CRASH_LIMIT + 1,
      );
      const state = readPipelineState(home);
      expect(state?.workers.notifier?.pid).toBeUndefined();
      expect(state?.workers.notifier?.restarts).toBe(CRASH_LIMIT);
      expect(state?.workers.notifier?.lastExit?.code).toBe(1);
      // The healthy worker is untouched.
      expect(state?.workers.consumer?.restarts).toBe(0);
      expect(state?.workers.consumer?.failed).toBeUndefined();
      expect(isAlive(state?.workers.consumer?.pid ?? 0)).toBe(true);
    } finally {
      stop.abort();
      await done;
    }
  }, 30_000);

  it('keeps restarting a worker whose crashes are spread wider than the window', async () => {
    const { home, bin, entries, spec } = setup();
    // A crash every ~200 ms, a window of 300 ms: never more than 2 in it, well under the limit.
    const { stop, done } = run(home, bin, [spec('analytics', 'crash')], {
      restartDelayMs: () => 200,
      crashWindowMs: 300,
    });
    try {
      await waitFor(
        'the analytics worker to be restarted past the limit',
        async () => (entries().filter((e) => e.what === 'crash').length > CRASH_LIMIT + 2 ? true : undefined),
        { timeoutMs: 20_000, intervalMs: 20 },
      );
      expect(readPipelineState(home)?.workers.analytics?.failed).toBeUndefined();
    } finally {
      stop.abort();
      await done;
    }
  }, 30_000);
});
