import { describe, expect, it } from 'vitest';
import { chunkRuns, decodeChunkEvent } from './chunk-event.ts';

const event = (offset: number, sales: number, op = 'c') => ({
  offset: String(offset),
  value: Buffer.from(
    JSON.stringify({
      op,
      before: null,
      after: { kafka_topic: 'sales', kafka_partition: 2, kafka_offset: offset, feed: 'h', sales },
      source: { lsn: 1000 + offset },
    }),
  ),
});

describe('decodeChunkEvent', () => {
  it("reads where the chunk's message sat, its LSN and its size; nothing from other operations", () => {
    expect(decodeChunkEvent(event(7, 1000).value.toString())).toEqual({
      topic: 'sales',
      partition: 2,
      offset: '7',
      lsn: 1007n,
      sales: 1000,
    });
    expect(decodeChunkEvent(event(7, 1000, 'd').value.toString())).toBeUndefined();
    expect(decodeChunkEvent(null)).toBeUndefined();
  });
});

describe('chunkRuns', () => {
  it('cuts a batch into runs of consecutive events of at most maxSales sales, one chunk at least each', () => {
    const batch = [event(1, 600), event(2, 400), event(3, 700), event(4, 5000), event(5, 1)];
    const runs = chunkRuns(batch, 1000).map((run) => run.map((m) => m.offset));
    expect(runs).toEqual([['1', '2'], ['3'], ['4'], ['5']]);
    expect(chunkRuns(batch, 10_000)).toEqual([batch]);
    expect(chunkRuns([], 1000)).toEqual([]);
  });
});
