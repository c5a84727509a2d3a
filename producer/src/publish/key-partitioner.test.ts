import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { KeyPartitioner, keyPartition, murmur2 } from './key-partitioner.ts';

// kafkajs's own murmur2 (not exported by its entry point): the reference this one must match.
const kafkajsMurmur2 = createRequire(import.meta.url)(
  'kafkajs/src/producer/partitioners/default/murmur2.js',
) as (key: Buffer) => number;

const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));

describe('murmur2', () => {
  it("gives kafkajs's value for keys of every length and content", () => {
    const keys = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('é€'), Buffer.from('V-2024-000123')];
    for (let i = 0; i < 5_000; i++) keys.push(randomBytes(i % 67));
    for (const key of keys) expect(murmur2(key)).toBe(kafkajsMurmur2(key));
  });

  it("matches the Java client's known values", () => {
    // Kafka's UtilsTest.testMurmur2: "21" and "foobar" hash to -973932308 and -790332482.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
  });
});

describe('KeyPartitioner', () => {
  it("sends every keyed record where kafkajs's default partitioner does", () => {
    const ours = KeyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 7]) {
      for (let i = 0; i < 2_000; i++) {
        const key = `sale-${i}-${randomBytes(3).toString('hex')}`;
        const args = { topic: 'sales', partitionMetadata: metadata(count), message: { key, value: 'x' } };
        expect(ours(args)).toBe(theirs(args));
        expect(keyPartition(key, count)).toBe(theirs(args));
      }
    }
  });

  it('keeps an explicit partition and spreads records without a key', () => {
    const ours = KeyPartitioner();
    const partitionMetadata = metadata(3);
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', value: 'x', partition: 2 } })).toBe(2);
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) seen.add(ours({ topic: 't', partitionMetadata, message: { value: 'x' } }));
    expect(seen.size).toBe(3);
  });
});
