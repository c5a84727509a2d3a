import { describe, expect, it } from 'vitest';
import { messagesBehind, waitForStages, type Offsets } from './catch-up.ts';

const offsets = (entries: Record<string, number[]>): Offsets =>
  new Map(Object.entries(entries).map(([t, ps]) => [t, new Map(ps.map((o, p) => [p, BigInt(o)]))]));

describe('messagesBehind', () => {
  it('counts what a group has left before the ends, a final commit marker not counted', () => {
    // Partition 0: ends at 101 (a marker at 100), stored 100: taken. Partition 1: ends at 51, stored 40.
    expect(messagesBehind(offsets({ sales: [100, 40] }), offsets({ sales: [101, 51] }))).toBe(10n);
  });

  it('takes a partition never stored as all to take, and an empty one as taken', () => {
    expect(messagesBehind(offsets({}), offsets({ sales: [0, 11] }))).toBe(10n);
  });

  it('is 0 for a group past the ends (more was written since)', () => {
    expect(messagesBehind(offsets({ sales: [500] }), offsets({ sales: [101] }))).toBe(0n);
  });
});

describe('waitForStages', () => {
  it('waits for each stage in order until it has nothing left, reporting what is left', async () => {
    const left = { a: [3, 1, 0], b: [2, 0] };
    const reports: string[] = [];
    const stage = (name: 'a' | 'b') => ({ name, unit: 'x', left: async () => left[name].shift() });
    const done = await waitForStages(
      [stage('a'), stage('b')],
      (s, n) => reports.push(`${s.name}:${n}`),
      new AbortController().signal,
      1,
    );
    expect(done).toBe(true);
    expect(reports).toEqual(['a:3', 'a:1', 'b:2']);
  });

  it('skips a stage that cannot be told, and stops when asked', async () => {
    const stop = new AbortController();
    const reports: string[] = [];
    const done = await waitForStages(
      [
        { name: 'skip', unit: 'x', left: async () => undefined },
        { name: 'never', unit: 'x', left: async () => 5 },
      ],
      (s) => {
        reports.push(s.name);
        stop.abort();
      },
      stop.signal,
      1,
    );
    expect(done).toBe(false);
    expect(reports).toEqual(['never']);
  });
});
