import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  INGEST_DOWNSTREAM_NICE,
  downstreamNiceSchema,
  lowerPriority,
  resolveDownstreamNice,
  workerNice,
} from './priority.ts';
import { spawnWorker } from './worker-process.ts';

/** The niceness of each thread of a process, from /proc/<pid>/task/<tid>/stat (field 19). */
function threadNices(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

/** The niceness of a process's autogroup (/proc/<pid>/autogroup: "/autogroup-85 nice 0"). */
function autogroupNice(pid: number): number {
  return Number(/nice (-?\d+)/.exec(fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8'))?.[1]);
}

/**
 * A process that prints its child's pid once both have started every thread they start on their own (the
 * child says so when its script runs; the parent's libuv pool starts on its first file operation), then a
 * line for each "thread" asked on stdin. Printed earlier, the count below would race the threads still
 * starting (CI once counted 9 changed of the 13 there were a moment later).
 */
const PARENT = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const child = spawn(process.execPath, ['-e', "process.stdout.write('up'); setInterval(() => {}, 1000)"], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
child.stdout.once('data', () => fs.stat('.', () => process.stdout.write(child.pid + '\\n')));
process.stdin.on('data', () => {
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  worker.once('online', () => process.stdout.write('started\\n'));
});
setInterval(() => {}, 1000);
`;

const started: ChildProcess[] = [];
const extraPids: number[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
  for (const pid of extraPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function nextLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
}

describe.skipIf(process.platform !== 'linux')('lowerPriority', () => {
  it('gives every thread of a process and of its children the niceness, and threads started later inherit it', async () => {
    const parent = spawn(process.execPath, ['-e', PARENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    started.push(parent);
    const childPid = Number(await nextLine(parent));
    extraPids.push(childPid);
    const pid = parent.pid as number;
    expect(threadNices(pid).every((n) => n === 0)).toBe(true);
    expect(threadNices(pid).length).toBeGreaterThan(1);

    const changed = lowerPriority(pid, 7);
    expect(changed).toBe(threadNices(pid).length + threadNices(childPid).length);
    expect(new Set([...threadNices(pid), ...threadNices(childPid)])).toEqual(new Set([7]));

    const before = threadNices(pid).length;
    parent.stdin?.write('more\n');
    await nextLine(parent);
    expect(threadNices(pid).length).toBeGreaterThan(before);
    expect(new Set(threadNices(pid))).toEqual(new Set([7]));
    // It shares this test's session: the session's group (autogroup) keeps its niceness, or the test's own
    // process would be lowered with it.
    if (fs.existsSync(`/proc/${pid}/autogroup`)) expect(autogroupNice(pid)).toBe(autogroupNice(process.pid));
    // Never raised back: asking for less changes nothing.
    expect(lowerPriority(pid, 3)).toBe(0);
    expect(new Set(threadNices(pid))).toEqual(new Set([7]));
  });

  it('starts a worker with `nice`: every thread of the worker at that niceness from its start, and its session', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nice-'));
    const bin = path.join(dir, 'worker.js');
    fs.writeFileSync(bin, "process.stdout.write('up\\n'); setInterval(() => {}, 1000);\n");
    const worker = spawnWorker([], {
      env: { PATH: process.env.PATH },
      bin,
      nodeFlags: [],
      nice: 9,
      detached: true,
    });
    started.push(worker);
    expect(await nextLine(worker)).toBe('up');
    expect(new Set(threadNices(worker.pid as number))).toEqual(new Set([9]));
    // Detached, it leads its own session, scheduled as a group against the others: the group at 9 as well.
    if (fs.existsSync(`/proc/${worker.pid}/autogroup`)) expect(autogroupNice(worker.pid as number)).toBe(9);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('workerNice', () => {
  it('lowers only the stages after Kafka: the consumer, analytics and the notifier', () => {
    expect(['consumer', 'analytics', 'notifier'].map((w) => workerNice(w, 10))).toEqual([10, 10, 10]);
    expect(['producer', 'ingest', 'dashboard', 'simulator'].map((w) => workerNice(w, 10))).toEqual([
      0, 0, 0, 0,
    ]);
  });
});

describe('resolveDownstreamNice', () => {
  it('lowers the downstream by default only while the ingest server runs; DOWNSTREAM_NICE, when set, wins', () => {
    const unset = downstreamNiceSchema.parse(undefined);
    expect(unset).toBeUndefined();
    expect(resolveDownstreamNice(unset, true)).toBe(INGEST_DOWNSTREAM_NICE);
    expect(INGEST_DOWNSTREAM_NICE).toBe(10);
    expect(resolveDownstreamNice(unset, false)).toBe(0);
    expect(resolveDownstreamNice(downstreamNiceSchema.parse('0'), true)).toBe(0);
    expect(resolveDownstreamNice(downstreamNiceSchema.parse('5'), false)).toBe(5);
    expect(() => downstreamNiceSchema.parse('20')).toThrow(/whole number from 0 to 19/);
  });
});
