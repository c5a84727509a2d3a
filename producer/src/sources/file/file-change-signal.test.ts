import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@sales-pipeline/platform';
import { FileChangeSignal } from './file-change-signal.ts';

const logger = createLogger('test', 'silent');
const HOUR = 3_600_000;
const signals: FileChangeSignal[] = [];
afterEach(() => signals.splice(0).forEach((s) => s.close()));

function watch(file: string): FileChangeSignal {
  const signal = new FileChangeSignal(file, logger);
  signals.push(signal);
  return signal;
}

describe('FileChangeSignal', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-change-'));

  it('wakes on an append long before its safety-net poll', async () => {
    const file = path.join(dir, 'ventes.csv');
    fs.writeFileSync(file, 'Date,ID Référence produit,Quantité,ID Magasin\n');
    const signal = watch(file);
    expect(signal.watching).toBe(true);
    const woken = signal.next(HOUR, new AbortController().signal);
    fs.appendFileSync(file, '2023-06-01,REF001,2,1\n');
    await woken; // the test's own 5 s timeout fails it if only the hour-long poll would end the wait
  });

  it('wakes when the file is created, and when it is renamed away (rotation)', async () => {
    const file = path.join(dir, 'later.csv');
    const signal = watch(file);
    const created = signal.next(HOUR, new AbortController().signal);
    fs.writeFileSync(file, 'x\n');
    await created;
    const rotated = signal.next(HOUR, new AbortController().signal);
    fs.renameSync(file, `${file}.1`);
    await rotated;
  });

  it('remembers a change that happened while nobody waited', async () => {
    const file = path.join(dir, 'busy.csv');
    fs.writeFileSync(file, '');
    const signal = watch(file);
    // The change is seen by a first wait; a second change arrives before the next wait starts.
    const first = signal.next(HOUR, new AbortController().signal);
    fs.appendFileSync(file, 'a\n');
    await first;
    fs.appendFileSync(file, 'b\n');
    await new Promise<void>((resolve) => setImmediate(resolve));
    await expect.poll(() => signal.changed).toBe(true);
    await signal.next(HOUR, new AbortController().signal);
  });

  it('ends its wait when stopped', async () => {
    const signal = watch(path.join(dir, 'quiet.csv'));
    const stop = new AbortController();
    const waiting = signal.next(HOUR, stop.signal);
    stop.abort();
    await waiting;
  });

  it('falls back to polling when the directory cannot be watched', async () => {
    const signal = watch(path.join(dir, 'no-such-dir', 'ventes.csv'));
    expect(signal.watching).toBe(false);
    await signal.next(5, new AbortController().signal);
  });
});
