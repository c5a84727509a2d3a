import { describe, expect, it } from 'vitest';
import { InFlight, messagesBehind, waitForStages, type Offsets } from './catch-up.ts';

const offsets = (entries: Record<string, number[]>): Offsets =>
  new Map(Object.entries(entries).map(([t, ps]) => [t, new Map(ps.map((o, p) => [p, BigInt(o)]))]));

describe('messagesBehind', () => {
  it('counts what a group has left before the ends, a final commit marker not counted', () => {
    // Partition 0: ends at 101 (a marker at 100), stored 100: taken. Partition 1: ends at 51, stored 40.
    expect(messagesBehind(offsets({ sales: [100, 40] }), offsets({ sales: [101, 51] }), true)).toBe(10n);
  });

  it("counts up to the end on a topic without commit markers (Debezium's)", () => {
    expect(messagesBehind(offsets({ cdc: [100, 40] }), offsets({ cdc: [101, 51] }), false)).toBe(12n);
  });

  it('takes a partition never stored as all to take, and an empty one as taken', () => {
    expect(messagesBehind(offsets({}), offsets({ sales: [0, 11] }), true)).toBe(10n);
  });

  it('is 0 for a group past the ends (more was written since)', () => {
    expect(messagesBehind(offsets({ sales: [500] }), offsets({ sales: [101] }), true)).toBe(0n);
  });
});

describe('waitForStages', () => {
  it('waits for each stage in order until it has nothing left, reporting what is left', async () => {
    const left = { a: [3, 1, 0], b: [2, 0] };
    const reports: string[] = [];
    const stage = (name: 'a' | 'b') => ({ name, unit: 'x', left: async () => left[name].shift() });
    const done = await waitForStages(
      [stage('a'), stage('b')],
      (s, seen) => reports.push(`${s.name}:${'left' in seen ? seen.left : seen.error.message}`),
      new AbortController().signal,
      1,
    );
    expect(done).toBe(true);
    expect(reports).toEqual(['a:3', 'a:1', 'b:2']);
  });

  it('reads a stage again after an error, and says when it has not gone down for a while', async () => {
    const reads: Array<number | Error> = [new Error('broker away'), 5, 5, 5, 0];
    const reports: string[] = [];
    const stalls: string[] = [];
    const done = await waitForStages(
      [
        {
          name: 'a',
          unit: 'x',
          left: async () => {
            const next = reads.shift();
            if (next instanceof Error) throw next;
            if (next === 5) await new Promise((resolve) => setTimeout(resolve, 5));
            return next;
          },
        },
      ],
      (_, seen) => reports.push('left' in seen ? String(seen.left) : seen.error.message),
      new AbortController().signal,
      1,
      (stage) => stalls.push(stage.name),
      4,
    );
    expect(done).toBe(true);
    expect(reports).toEqual(['broker away', '5', '5', '5']);
    expect(stalls.length).toBeGreaterThan(0);
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

describe('InFlight', () => {
  it('holds a step back while more than the limit would be in flight, until the oldest steps are through', async () => {
    const done = new Set<string>();
    const asked: string[] = [];
    const inFlight = new InFlight(
      async (id) => {
        asked.push(id);
        return done.has(id);
      },
      2_500,
      1,
      new AbortController().signal,
    );
    await inFlight.before({ sales: 1_200, lastSaleId: 'h/0/1201' });
    await inFlight.before({ sales: 1_200, lastSaleId: 'h/0/2401' });
    expect(inFlight.count).toBe(2_400);
    expect(asked).toEqual([]); // under the limit: not held
    // A third step would make 3,600: held until the first is through.
    const third = inFlight.before({ sales: 1_200, lastSaleId: 'h/0/3601' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(asked.length).toBeGreaterThan(1);
    expect(new Set(asked)).toEqual(new Set(['h/0/1201']));
    done.add('h/0/1201');
    await third;
    expect(inFlight.count).toBe(2_400);
  });

  it('never holds with a limit of 0, and says when the pipeline does not move', async () => {
    const free = new InFlight(async () => false, 0, 1, new AbortController().signal);
    await free.before({ sales: 10_000, lastSaleId: 'a' });
    await free.before({ sales: 10_000, lastSaleId: 'b' });
    expect(free.count).toBe(0); // nothing tracked: no list of every step of the file

    const stop = new AbortController();
    const stuck: number[] = [];
    const held = new InFlight(
      async () => false,
      100,
      1,
      stop.signal,
      (_, n) => {
        stuck.push(n);
        stop.abort();
      },
      5,
    );
    await held.before({ sales: 100, lastSaleId: 'a' });
    await held.before({ sales: 100, lastSaleId: 'b' });
    expect(stuck).toEqual([100]);
  });
});
