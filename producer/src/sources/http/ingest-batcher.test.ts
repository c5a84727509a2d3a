import { describe, expect, it } from 'vitest';
import { sendRounds } from './ingest-batcher.ts';

const messages = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `${tag}${i}`, value: 'x' }));

describe('sendRounds', () => {
  it('puts every topic in one send while each fits, then the rest in later rounds, every message once in order', () => {
    const plan = new Map([
      ['sales', messages(4_500, 's')],
      ['state', messages(4_500, 'l')],
      ['dlq', messages(3, 'd')],
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
    expect(sendRounds(new Map([['sales', messages(1, 's')]]))).toHaveLength(1);
    expect(sendRounds(new Map())).toEqual([]);
  });
});
