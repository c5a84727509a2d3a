import { describe, expect, it } from 'vitest';
import { lagByGroup } from './kafka-lag.ts';

describe('lagByGroup', () => {
  it('sums the partitions behind per group and topic, never below zero, leaving out unknown ends', () => {
    const stored = [
      { consumer_group: 'g2', topic: 'sales', kafka_partition: 0, next_offset: '5' },
      { consumer_group: 'g1', topic: 'sales', kafka_partition: 0, next_offset: '7' },
      { consumer_group: 'g1', topic: 'sales', kafka_partition: 1, next_offset: '12' },
      { consumer_group: 'g1', topic: 'sales', kafka_partition: 2, next_offset: '0' },
    ];
    const ends = new Map([
      [
        'sales',
        new Map([
          [0, 10n],
          [1, 10n],
        ]),
      ],
    ]);
    expect(lagByGroup(stored, ends)).toEqual([
      { group: 'g1', topic: 'sales', lag: 3 },
      { group: 'g2', topic: 'sales', lag: 5 },
    ]);
  });
});
