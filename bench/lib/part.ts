import type pg from 'pg';
import { Kafka, logLevel, type Batch } from 'kafkajs';
import type { RunningStack } from '@sales-pipeline/stack';
import { kafkaSecurity } from '@sales-pipeline/platform';
import { rate, sleep, until } from '../bench-stack.ts';

/** What a part measured: every figure (to latest.json) and its markdown section (to latest.md). */
export interface PartResult {
  figures: Record<string, unknown>;
  markdown: string[];
}

/** When the first and the last row of `table` were committed (epoch ms, from track_commit_timestamp). */
export async function commitSpan(
  db: pg.Client,
  table: string,
  where = 'true',
): Promise<{ rows: number; firstMs: number; lastMs: number }> {
  const { rows } = await db.query<{ n: string; first: number; last: number }>(
    `SELECT count(*) AS n,
            extract(epoch FROM min(pg_xact_commit_timestamp(xmin))) * 1000 AS first,
            extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) * 1000 AS last
       FROM ${table} WHERE ${where}`,
  );
  const row = rows[0];
  return { rows: Number(row?.n), firstMs: Number(row?.first), lastMs: Number(row?.last) };
}

/**
 * The figures of one timed path: from `startedAt` (epoch ms) to the last row's commit, plus when the first
 * row was committed and the first → last rate (without the start-up).
 */
export function pathFigures(
  rows: number,
  span: { firstMs: number; lastMs: number },
  startedAt: number,
): { ms: number; rowsPerSecond: number; firstRowCommittedMs: number; steadyRowsPerSecond: number } {
  const ms = span.lastMs - startedAt;
  return {
    ms,
    rowsPerSecond: rate(rows, ms),
    firstRowCommittedMs: span.firstMs - startedAt,
    steadyRowsPerSecond: rate(rows, span.lastMs - span.firstMs),
  };
}

/**
 * A cheap check run before counting: whether it may be time, and what it saw (for progress and timeouts).
 */
export type Gate = () => Promise<{ open: boolean; seen: string }>;

/** Waits until `table` holds `rows` rows; counts only when the cheap gate says it may be time. */
export async function waitForRows(
  db: pg.Client,
  table: string,
  rows: number,
  gate: Gate = async () => ({ open: true, seen: '' }),
  options: { stallMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  let counted = 'not counted yet';
  await until(
    `${rows} rows in ${table}`,
    async (saw) => {
      const { open, seen } = await gate();
      if (open) {
        const { rows: n } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        counted = `${Number(n[0]?.n)} rows counted`;
        if (Number(n[0]?.n) >= rows) return true;
      }
      saw([seen, counted].filter(Boolean).join('; '));
      return undefined;
    },
    { intervalMs: 250, ...options },
  );
}

/**
 * Gate for waitForRows: the offsets a group stored in PostgreSQL add up to at least `rows` (cheap). The
 * offsets count the transaction markers too, so the sum passes `rows` before the last row is in: the
 * count decides.
 */
export function storedOffsetsReach(db: pg.Client, group: string, topic: string, rows: number): Gate {
  return async () => {
    const { rows: r } = await db.query<{ partition: number; next_offset: string }>(
      `SELECT kafka_partition AS partition, next_offset FROM consumer_offsets
        WHERE consumer_group = $1 AND topic = $2 ORDER BY kafka_partition`,
      [group, topic],
    );
    const sum = r.reduce((total, p) => total + Number(p.next_offset), 0);
    return {
      open: sum >= rows,
      seen: `stored offsets of ${group} on ${topic}: ${r.map((p) => `p${p.partition}=${p.next_offset}`).join(' ') || 'none'} (sum ${sum})`,
    };
  };
}

export function kafkaOf(stack: RunningStack) {
  return new Kafka({
    // A secured stack's SASL and TLS (BENCH_SECURE=1), from the environment as every client of the project.
    ...kafkaSecurity(),
    clientId: 'bench',
    brokers: stack.endpoints.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
}

/** Waits until a consumer group is Stable with at least one member (a worker is ready to consume). */
export async function waitForGroup(stack: RunningStack, group: string): Promise<void> {
  const admin = kafkaOf(stack).admin();
  await admin.connect();
  try {
    await until(
      `consumer group ${group}`,
      async (saw) => {
        const { groups } = await admin.describeGroups([group]);
        const g = groups[0];
        saw(`group ${g?.state ?? 'unknown'}, ${g?.members.length ?? 0} member(s)`);
        return g && g.state === 'Stable' && g.members.length > 0 ? true : undefined;
      },
      { intervalMs: 250, timeoutMs: 120_000, stallMs: 120_000 },
    );
  } finally {
    await admin.disconnect();
  }
  await sleep(500);
}

/**
 * Reads every message of `topic` that its partitions held at the call (their end offsets, taken first),
 * from the beginning, in a consumer group of its own (read_committed: the transaction markers are skipped),
 * handing each batch to `onBatch` one at a time. Done when every partition's position reaches its end
 * offset — the markers are counted, the batches made only of markers too — not when a count of messages is
 * reached. It cannot wait silently: an error of `onBatch` or of kafkajs fails the read at once with that
 * error (kafkajs would otherwise retry a failing batch and restart the consumer for ever, logging nothing
 * at our log level); positions are printed as it goes; no position moving for `stallMs` fails it with the
 * positions seen last. Returns the number of messages handed over.
 */
export async function readTopic(
  stack: RunningStack,
  topic: string,
  what: string,
  onBatch: (batch: Batch, heartbeat: () => Promise<void>) => Promise<void>,
  options: { maxBytesPerPartition?: number; stallMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const kafka = kafkaOf(stack);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())).map((p) => [
      p.partition,
      BigInt(p.high),
    ]),
  );
  const positions = new Map([...ends.keys()].map((p) => [p, 0n]));
  const consumer = kafka.consumer({
    groupId: `bench.${what.replace(/\W+/g, '-')}.${Date.now()}`,
    readUncommitted: false,
    ...(options.maxBytesPerPartition
      ? { maxBytesPerPartition: options.maxBytesPerPartition, maxBytes: options.maxBytesPerPartition * 4 }
      : {}),
  });
  let failure: Error | undefined;
  let messages = 0;
  let joined = 'not joined yet';
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = `joined, assigned ${JSON.stringify(payload.memberAssignment)}`;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    failure ??= payload.error;
  });
  // Also fired for the batches made only of transaction markers (which never reach eachBatch).
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic) return;
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > (positions.get(payload.partition) ?? 0n)) positions.set(payload.partition, next);
  });
  const done = () => [...ends].every(([p, end]) => (positions.get(p) ?? 0n) >= end);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        if (failure) throw failure; // stop handing over batches; the wait below reports the failure
        try {
          await onBatch(batch, heartbeat);
          messages += batch.messages.length;
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
          throw failure;
        }
      },
    });
    await until(
      `${what}: every partition of ${topic} read to its end offset`,
      async (saw) => {
        if (failure) throw new Error(`${what} failed: ${failure.message}`, { cause: failure });
        saw(
          `${joined}; ${messages} messages; positions/end ${[...ends]
            .map(([p, end]) => `p${p} ${positions.get(p) ?? 0n}/${end}`)
            .join(', ')}`,
        );
        return done() ? true : undefined;
      },
      { intervalMs: 100, stallMs: options.stallMs ?? 180_000, timeoutMs: options.timeoutMs ?? 1_800_000 },
    );
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
