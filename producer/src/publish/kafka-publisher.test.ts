import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  messageBytes,
  retryWhileConcurrentTransactions,
  SEND_LIMITS,
  sendRounds,
  splitIntoSends,
} from './kafka-publisher.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../feed/feed-checkpoint.ts';

const message = (valueBytes: number, key = 'k'): Message => ({ key, value: 'x'.repeat(valueBytes) });

describe('splitIntoSends', () => {
  it('keeps small messages together, up to the message count', () => {
    const sends = splitIntoSends(Array.from({ length: 4_500 }, () => message(100)));
    expect(sends.map((s) => s.length)).toEqual([2_000, 2_000, 500]);
  });

  it('bounds each send in bytes, so a step of big dead letters never makes a batch over 1 MiB', () => {
    // 8 dead letters of ~480 KB each (a 64 KiB line of control bytes, JSON-escaped, plus its base64).
    const sends = splitIntoSends(Array.from({ length: 8 }, () => message(480_000)));
    expect(sends.map((s) => s.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const mixed = splitIntoSends([message(300_000), message(200_000), message(100_000), message(10)]);
    expect(mixed.map((s) => s.length)).toEqual([2, 2]);
    for (const send of [...sends, ...mixed])
      expect(send.reduce((sum, m) => sum + messageBytes(m), 0)).toBeLessThanOrEqual(1024 * 1024);
  });

  it('sends a message bigger than the byte limit alone, and keeps the order', () => {
    const big = message(SEND_LIMITS.bytes + 1, 'big');
    const sends = splitIntoSends([message(10, 'a'), big, message(10, 'b')]);
    expect(sends.map((s) => s.map((m) => m.key))).toEqual([['a'], ['big'], ['b']]);
  });

  it('counts key, value and headers in bytes, not characters', () => {
    const plain = messageBytes({ key: 'é', value: '€', headers: { h: '1' } });
    expect(plain).toBe(messageBytes({ key: null, value: null }) + 2 + 3 + 1 + 1);
  });
});

describe('retryWhileConcurrentTransactions', () => {
  const concurrent = () => Object.assign(new Error('concurrent'), { type: 'CONCURRENT_TRANSACTIONS' });

  it('retries while the previous transaction is still completing, then returns the result', async () => {
    let calls = 0;
    const result = await retryWhileConcurrentTransactions(
      async () => {
        calls++;
        if (calls < 3) throw concurrent();
        return 'done';
      },
      { delayMs: 1 },
    );
    expect([result, calls]).toEqual(['done', 3]);
  });

  it('throws any other error at once, and CONCURRENT_TRANSACTIONS after the last attempt', async () => {
    let calls = 0;
    const other = Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
    await expect(
      retryWhileConcurrentTransactions(async () => {
        calls++;
        throw other;
      }),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
    await expect(
      retryWhileConcurrentTransactions(
        async () => {
          throw concurrent();
        },
        { attempts: 3, delayMs: 1 },
      ),
    ).rejects.toThrow('concurrent');
  });
});

describe('decodeCheckpoint', () => {
  it('reads back what encodeCheckpoint wrote', () => {
    const checkpoint = {
      cursor: { generation: 1, offset: 1234, line: 31, openLine: false },
      prefixSha256: 'a'.repeat(64),
      reportedRewrite: undefined,
    };
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint))).toEqual(checkpoint);
  });

  it('refuses metadata that is not a checkpoint of this producer, saying what is wrong', () => {
    expect(() => decodeCheckpoint('{"v":1,"g":0,"o":-5,"l":0,"open":false,"sha":"x","rw":null}')).toThrow(
      /not one this producer wrote \(o: .*; sha: /,
    );
    expect(() => decodeCheckpoint('{"v":3}')).toThrow(/v: /);
    expect(() => decodeCheckpoint('not json')).toThrow(/checkpoint is not JSON/);
  });
});

const keyed = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `${tag}${i}`, value: 'x' }));

describe('sendRounds', () => {
  it('puts every topic in one send while each fits, then the rest in later rounds, every message once in order', () => {
    const plan = new Map([
      ['sales', keyed(4_500, 's')],
      ['state', keyed(4_500, 'l')],
      ['dlq', keyed(3, 'd')],
    ]);
    const rounds = sendRounds(plan);
    expect(rounds.map((r) => r.map((t) => [t.topic, t.messages.length]))).toEqual([
      [
        ['sales', 2_000],
        ['state', 2_000],
        ['dlq', 3],
      ],
      [
        ['sales', 2_000],
        ['state', 2_000],
      ],
      [
        ['sales', 500],
        ['state', 500],
      ],
    ]);
    for (const [topic, all] of plan)
      expect(rounds.flatMap((r) => r.filter((t) => t.topic === topic).flatMap((t) => t.messages))).toEqual(
        all,
      );
  });

  it('gives one round for a small group and none for nothing', () => {
    expect(sendRounds(new Map([['sales', keyed(1, 's')]]))).toHaveLength(1);
    expect(sendRounds(new Map())).toEqual([]);
  });
});
