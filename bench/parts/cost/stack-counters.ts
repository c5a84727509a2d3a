import type pg from 'pg';
import type { Admin } from 'kafkajs';
import { until } from '../../bench-stack.ts';

/** What the stack has written so far: WAL position, transactions, tuples (pg_stat_database), Kafka records. */
export interface Counters {
  lsn: string;
  xactCommit: number;
  tuplesWritten: number;
  /** Sum of the end offsets of each topic (transaction markers included). */
  offsets: Record<string, number>;
}

/** The end offsets of every topic, summed over its partitions. */
async function endOffsets(admin: Admin): Promise<Record<string, number>> {
  const topics = await admin.listTopics();
  const entries = await Promise.all(
    topics.map(
      async (t) => [t, (await admin.fetchTopicOffsets(t)).reduce((s, p) => s + Number(p.high), 0)] as const,
    ),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

export async function readCounters(db: pg.Client, admin: Admin): Promise<Counters> {
  const [{ rows }, offsets] = await Promise.all([
    db.query<{ lsn: string; xact_commit: string; written: string }>(
      `SELECT pg_current_wal_lsn()::text AS lsn, xact_commit,
              tup_inserted + tup_updated + tup_deleted AS written
         FROM pg_stat_database WHERE datname = current_database()`,
    ),
    endOffsets(admin),
  ]);
  return {
    lsn: rows[0]?.lsn ?? '0/0',
    xactCommit: Number(rows[0]?.xact_commit),
    tuplesWritten: Number(rows[0]?.written),
    offsets,
  };
}

/** Waits until no offset moves for 2 s: the Kafka end offsets, and the offsets stored in PostgreSQL. */
export async function waitForOffsetsAtRest(db: pg.Client, admin: Admin): Promise<void> {
  let last = '';
  let since = Date.now();
  await until(
    'no offset moving for 2 s (Kafka end offsets, offsets stored in PostgreSQL)',
    async (saw) => {
      const [ends, stored] = await Promise.all([
        endOffsets(admin),
        db.query<{ s: string }>('SELECT coalesce(sum(next_offset), 0)::text AS s FROM consumer_offsets'),
      ]);
      const now = JSON.stringify([ends, stored.rows[0]?.s]);
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      saw(`unchanged for ${Date.now() - since} ms`);
      return Date.now() - since >= 2000 ? true : undefined;
    },
    { intervalMs: 250, timeoutMs: 120_000, stallMs: 120_000 },
  );
}

/** What each sale of the window cost in WAL bytes, transactions, tuples and Kafka records. */
export async function amplification(db: pg.Client, start: Counters, end: Counters, sales: number) {
  const walBytes = Number(
    (await db.query<{ d: string }>('SELECT pg_wal_lsn_diff($1, $2)::text AS d', [end.lsn, start.lsn])).rows[0]
      ?.d,
  );
  const messagesByTopic = Object.fromEntries(
    Object.entries(end.offsets)
      .map(([t, n]) => [t, n - (start.offsets[t] ?? 0)] as const)
      .filter(([, n]) => n !== 0),
  );
  const messages = Object.values(messagesByTopic).reduce((a, b) => a + b, 0);
  const per = (n: number) => Math.round((n / sales) * 100) / 100;
  return {
    walBytesPerSale: Math.round(walBytes / sales),
    transactionsPerSale: per(end.xactCommit - start.xactCommit),
    tuplesWrittenPerSale: per(end.tuplesWritten - start.tuplesWritten),
    kafkaMessagesPerSale: per(messages),
    kafkaMessagesPerSaleByTopic: Object.fromEntries(
      Object.entries(messagesByTopic).map(([t, n]) => [t, per(n)]),
    ),
  };
}
export type Amplification = Awaited<ReturnType<typeof amplification>>;
