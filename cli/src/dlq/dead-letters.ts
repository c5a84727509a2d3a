import { completeAllPending } from '@sales-pipeline/consumer';
import {
  ConfigError,
  createKafka,
  createLogger,
  createPool,
  withTransaction,
  type Env,
  type Logger,
  type Pool,
} from '@sales-pipeline/platform';
import { envWithStackDefaults, loadCliConfig } from '../config.ts';

interface RejectedRow {
  rejected_id: string;
  stage: 'producer' | 'consumer';
  feed: string | null;
  line_number: string | null;
  reason: string;
  raw_line: string | null;
  topic: string | null;
  rejected_at: Date;
  replayed_at: Date | null;
}

interface PendingGroup {
  product_id: string;
  store_id: string;
  missing: string;
  sales: string;
}

async function withDatabase<T>(env: Env, logger: Logger, work: (pool: Pool) => Promise<T>): Promise<T> {
  if (!env.DATABASE_URL)
    throw new ConfigError(['DATABASE_URL is not set (and no native stack is running to take it from)']);
  const pool = createPool(env.DATABASE_URL, logger, { max: 1, applicationName: 'sales-pipeline-dlq' });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/**
 * The dead letters: rejected rows with their reasons, and the pending sales grouped by what they lack.
 * Also read by the dashboard (through the reporting role).
 */
export async function queryDeadLetters(client: Pool, limit: number) {
  const rejected = await client.query<RejectedRow>(
    `SELECT rejected_id, stage, feed, line_number, reason, left(raw_line, 300) AS raw_line, topic,
            rejected_at, replayed_at
       FROM rejected_rows ORDER BY rejected_id DESC LIMIT $1`,
    [limit],
  );
  const pending = await client.query<PendingGroup>(
    `SELECT s.product_id, s.store_id,
            concat_ws(' and ', CASE WHEN p.product_id IS NULL THEN 'product' END,
                               CASE WHEN st.store_id IS NULL THEN 'store' END) AS missing,
            count(*) AS sales
       FROM sales s
       LEFT JOIN products p ON p.product_id = s.product_id
       LEFT JOIN stores st ON st.store_id = s.store_id
      WHERE s.status = 'pending'
      GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT $1`,
    [limit],
  );
  const totals = await client.query<{ rejected: string; pending: string }>(
    `SELECT (SELECT count(*) FROM rejected_rows) AS rejected,
            (SELECT count(*) FROM sales WHERE status = 'pending') AS pending`,
  );
  const corrections = await client.query<{ feed: string; amendments: string; cancellations: string }>(
    `SELECT feed, count(*) FILTER (WHERE op = 'amendment') AS amendments,
            count(*) FILTER (WHERE op = 'cancellation') AS cancellations
       FROM sale_versions WHERE op <> 'sale' GROUP BY feed ORDER BY feed LIMIT $1`,
    [limit],
  );
  return {
    /** Amendments and cancellations applied, per feed (snapshot and id-column feeds). */
    corrections: corrections.rows.map((c) => ({
      feed: c.feed,
      amendments: Number(c.amendments),
      cancellations: Number(c.cancellations),
    })),
    totals: {
      rejectedRows: Number(totals.rows[0]?.rejected ?? 0),
      pendingSales: Number(totals.rows[0]?.pending ?? 0),
    },
    rejected: rejected.rows.map((r) => ({
      id: Number(r.rejected_id),
      stage: r.stage,
      feed: r.feed,
      line: r.line_number === null ? null : Number(r.line_number),
      reason: r.reason,
      raw: r.raw_line,
      topic: r.topic,
      rejectedAt: r.rejected_at.toISOString(),
      replayedAt: r.replayed_at?.toISOString() ?? null,
    })),
    pending: pending.rows.map((p) => ({
      productId: p.product_id,
      storeId: p.store_id,
      missing: p.missing || 'nothing (complete it with: sales-pipeline dlq replay)',
      sales: Number(p.sales),
    })),
  };
}

export type DeadLetterList = Awaited<ReturnType<typeof queryDeadLetters>>;

/** `dlq list`: prints the rejected rows and the pending sales, as text or JSON. */
export async function listDeadLetters(limit: number, json: boolean): Promise<void> {
  const logger = createLogger('dlq', loadCliConfig().LOG_LEVEL);
  const list = await withDatabase(await envWithStackDefaults(), logger, (pool) =>
    queryDeadLetters(pool, limit),
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  const out = [`${list.totals.rejectedRows} rejected rows, ${list.totals.pendingSales} pending sales`];
  for (const r of list.rejected) {
    const where = r.feed ? `${r.feed}:${r.line ?? '?'}` : `${r.topic ?? '?'}`;
    const replayed = r.replayedAt ? ` (replayed ${r.replayedAt})` : '';
    out.push(`  #${r.id} ${r.stage} ${where}: ${r.reason}${replayed}`);
    if (r.raw) out.push(`      ${JSON.stringify(r.raw.slice(0, 120))}`);
  }
  for (const c of list.corrections)
    out.push(`feed ${c.feed}: ${c.amendments} amendment(s), ${c.cancellations} cancellation(s) applied`);
  if (list.pending.length > 0) out.push('pending sales (waiting for a reference):');
  for (const p of list.pending)
    out.push(`  ${p.sales} sales of product ${p.productId} at store ${p.storeId}: missing ${p.missing}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** `dlq replay`: completes the pending sales that can be, re-sends the refused messages. */
export async function replayDeadLetters(): Promise<void> {
  const env = await envWithStackDefaults();
  const logger = createLogger('dlq', loadCliConfig().LOG_LEVEL);
  const summary = await withDatabase(env, logger, async (client) => {
    const completed = await withTransaction(client, completeAllPending);
    const { rows } = await client.query<RefusedMessage>(
      `SELECT rejected_id, topic, raw_line, kafka_key, kafka_headers FROM rejected_rows
          WHERE stage = 'consumer' AND replayed_at IS NULL AND topic IS NOT NULL AND raw_line IS NOT NULL
          ORDER BY rejected_id`,
    );
    let resent = 0;
    const failures: string[] = [];
    if (rows.length > 0) {
      if (!env.KAFKA_BROKERS)
        throw new ConfigError(['KAFKA_BROKERS is not set: it is needed to re-send refused messages']);
      const producer = createKafka({
        clientId: 'sales-pipeline-dlq',
        brokers: env.KAFKA_BROKERS.split(','),
        logger,
      }).producer({ idempotent: true });
      await producer.connect();
      try {
        for (const row of rows) {
          const message = replayedMessage(row);
          if (message.key === null) {
            failures.push(
              `#${row.rejected_id} (${row.topic}): its key was not recorded and cannot be told from the message`,
            );
            continue;
          }
          // Sent first, then marked: a crash in between re-sends it on the next replay, which the
          // consumer's idempotent writes absorb.
          try {
            await producer.send({ topic: row.topic, acks: -1, messages: [message] });
          } catch (error) {
            failures.push(`#${row.rejected_id} (${row.topic}): ${(error as Error).message}`);
            continue;
          }
          await client.query('UPDATE rejected_rows SET replayed_at = now() WHERE rejected_id = $1', [
            row.rejected_id,
          ]);
          resent++;
        }
      } finally {
        await producer.disconnect();
      }
    }
    const left = await client.query<{ producer: string; pending: string }>(
      `SELECT (SELECT count(*) FROM rejected_rows WHERE stage = 'producer') AS producer,
                (SELECT count(*) FROM sales WHERE status = 'pending') AS pending`,
    );
    return {
      completed,
      resent,
      failures,
      producerRejected: Number(left.rows[0]?.producer ?? 0),
      stillPending: Number(left.rows[0]?.pending ?? 0),
    };
  });
  process.stdout.write(
    `${summary.completed} pending sales completed, ${summary.resent} refused messages re-sent.\n` +
      `${summary.stillPending} sales still pending (their product or store is still unknown: dlq list shows which).\n` +
      `${summary.producerRejected} lines rejected by the producer stay as they are: the line itself is wrong; ` +
      'correct the feed (appended lines are picked up), not the dead letter.\n',
  );
  if (summary.failures.length > 0) {
    process.stderr.write(
      `sales-pipeline: ${summary.failures.length} refused messages could not be re-sent (they stay in the dead letters):\n` +
        summary.failures.map((f) => `  ${f}\n`).join(''),
    );
    process.exitCode = 1;
  }
}

interface RefusedMessage {
  rejected_id: string;
  topic: string;
  raw_line: string;
  kafka_key: Buffer | null;
  kafka_headers: Record<string, string[]> | null;
}

/**
 * The refused message as it came: its value, key and headers. A row recorded before keys were kept gets
 * the key the producer gives such a message (its sale, product or store id); null when none can be told.
 */
export function replayedMessage(row: Pick<RefusedMessage, 'raw_line' | 'kafka_key' | 'kafka_headers'>): {
  key: Buffer | string | null;
  value: string;
  headers?: Record<string, Buffer[]>;
} {
  const headers = row.kafka_headers
    ? Object.fromEntries(
        Object.entries(row.kafka_headers).map(([name, values]) => [
          name,
          values.map((v) => Buffer.from(v, 'base64')),
        ]),
      )
    : undefined;
  let key: Buffer | string | null = row.kafka_key;
  if (key === null) {
    try {
      const value = JSON.parse(row.raw_line) as Record<string, unknown>;
      const id = value.sale_id ?? value.product_id ?? value.store_id;
      key = typeof id === 'string' && id ? id : null;
    } catch {
      key = null;
    }
  }
  return { key, value: row.raw_line, ...(headers ? { headers } : {}) };
}
