import { describe, expect, it } from 'vitest';
import { partitionLag } from './lag.ts';

describe('partitionLag', () => {
  it('gives each group’s lag per partition and in all, from the topics’ end offsets', () => {
    const ends = new Map([
      [
        'sales',
        new Map([
          [0, 120],
          [1, 80],
          [2, 10],
        ]),
      ],
      ['cdc.public.sales', new Map([[0, 5]])],
    ]);
    expect(
      partitionLag(
        [
          { group: 'sales-pipeline.consumer', topic: 'sales', partition: 1, nextOffset: 80 },
          { group: 'sales-pipeline.consumer', topic: 'sales', partition: 0, nextOffset: 100 },
          { group: 'sales-pipeline.consumer', topic: 'sales', partition: 2, nextOffset: 12 },
          { group: 'analytics', topic: 'cdc.public.sales', partition: 0, nextOffset: 5 },
          { group: 'analytics', topic: 'gone', partition: 0, nextOffset: 5 },
        ],
        ends,
      ),
    ).toEqual([
      {
        group: 'analytics',
        topic: 'cdc.public.sales',
        lag: 0,
        partitions: [{ partition: 0, nextOffset: 5, endOffset: 5, lag: 0 }],
      },
      {
        group: 'analytics',
        topic: 'gone',
        lag: null,
        partitions: [{ partition: 0, nextOffset: 5, endOffset: null, lag: null }],
      },
      {
        group: 'sales-pipeline.consumer',
        topic: 'sales',
        lag: 20,
        partitions: [
          { partition: 0, nextOffset: 100, endOffset: 120, lag: 20 },
          { partition: 1, nextOffset: 80, endOffset: 80, lag: 0 },
          { partition: 2, nextOffset: 12, endOffset: 10, lag: 0 },
        ],
      },
    ]);
  });
});
