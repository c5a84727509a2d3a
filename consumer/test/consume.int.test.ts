import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { collectStatus } from '@sales-pipeline/cli/pipeline/pipeline-status';
import { createLogger } from '@sales-pipeline/platform';
import { freePort, loadStackConfig, nativeRestart } from '@sales-pipeline/stack';
import { produceOnce, startWorker, stopWorker } from '../../test-support/cli-processes.ts';
import { CLIENT_DATA, clientFileArgs, SALES_HEADER, tempDir } from '../../test-support/client-feeds.ts';
import { eventually } from '../../test-support/eventually.ts';
import { product, sale, store } from '../../test-support/sample-messages.ts';
import { partitionCount, query, sendRaw, storedOffset, topicExists } from '../../test-support/test-stack.ts';
import { consumerEnv, isolatedTopics, producerEnv } from '../../test-support/worker-env.ts';

interface Totals {
  n: string;
  units: string | null;
  revenue: string | null;
  pending: string;
}

const totalsOf = (feed: string) =>
  query<Totals>(
    `SELECT count(*) AS n, sum(quantity) AS units, sum(amount) AS revenue,
            count(*) FILTER (WHERE status = 'pending') AS pending
       FROM sales WHERE feed = $1`,
    [feed],
  ).then((rows) => rows[0] as Totals);

const unique = (name: string) => `${name}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Topics, a feed name and a product id of their own, for one test. */
const scenario = (topicName: string, feedName = topicName) => ({
  topics: isolatedTopics(topicName),
  feed: unique(feedName),
  id: unique('P'),
});

/** A {@link scenario} whose product (priced) and one store are already published. */
async function seedTopics(
  topicName: string,
  feedName: string,
  [productName, price]: [string, string],
  [storeId, city]: [string, string],
) {
  const seeded = scenario(topicName, feedName);
  const { topics, id } = seeded;
  await sendRaw(topics, topics.products, [product(id, productName, price)]);
  await sendRaw(topics, topics.stores, [store(storeId, city)]);
  return seeded;
}

/** `count` sale messages of `feed`, from line `from` on, each of `quantity` units of one product in one store. */
const saleRun = (feed: string, from: number, count: number, id: string, storeId: string, quantity: number) =>
  Array.from({ length: count }, (_, i) => sale(feed, from + i, id, storeId, quantity));

describe('consume: the client files end to end', () => {
  it('stores 30 sales, 122 units and 5,268.78 € exactly, through producer and consumer', async () => {
    const topics = isolatedTopics('e2e');
    const dir = tempDir();
    const feed = unique('ventes');
    fs.copyFileSync(path.join(CLIENT_DATA, 'ventes.csv'), path.join(dir, `${feed}.csv`));
    const produced = await produceOnce(clientFileArgs(path.join(dir, `${feed}.csv`)), producerEnv(topics));
    expect(produced.code, produced.stderr).toBe(0);
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      const totals = await eventually(
        () => totalsOf(feed),
        (t) => t.n === '30' && t.pending === '0',
      );
      expect(totals).toEqual({ n: '30', units: '122', revenue: '5268.78', pending: '0' });
      const lyon = await query<{ region: string }>(`SELECT region FROM stores WHERE city = 'Lyon'`);
      expect(lyon).toEqual([{ region: 'Auvergne-Rhône-Alpes' }]);
    } finally {
      expect(await stopWorker(consumer)).toBe(0);
    }
  });
});

describe('consume: idempotence and exactly once', () => {
  it('stores one row for a sale that is twice in the topic, even in one batch', async () => {
    const { topics, feed, id } = await seedTopics('dup', 'dup', ['Dup', '2.50'], ['1', 'Paris']);
    await sendRaw(topics, topics.sales, [
      sale(feed, 2, id, '1', 4),
      sale(feed, 2, id, '1', 4),
      sale(feed, 3, id, '1', 1),
    ]);
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      expect(
        await eventually(
          () => totalsOf(feed),
          (t) => t.n === '2' && t.pending === '0',
        ),
      ).toMatchObject({ n: '2', revenue: '12.50' });
      const [again] = await sendRaw(topics, topics.sales, [sale(feed, 2, id, '1', 4)]); // once more, later
      if (!again?.baseOffset) throw new Error('the duplicate was not acknowledged');
      // Wait until the consumer has applied the duplicate: its stored offset (written with the rows) has
      // passed it. Only then does the count tell anything.
      const group = consumerEnv(topics).CONSUMER_GROUP as string;
      await eventually(
        () => storedOffset(group, topics.sales, again.partition),
        (next) => next > BigInt(again.baseOffset as string),
      );
      expect(await totalsOf(feed)).toMatchObject({ n: '2', units: '5' });
    } finally {
      await stopWorker(consumer);
    }
  });

  it('loses and duplicates nothing when killed right after a database commit', async () => {
    const { topics, feed, id } = await seedTopics('crash', 'crash', ['Crash', '1.00'], ['2', 'Marseille']);
    for (let batch = 0; batch < 5; batch++) {
      await sendRaw(topics, topics.sales, saleRun(feed, 2 + batch * 200, 200, id, '2', 1));
    }
    // Killed (SIGKILL) right after its 3rd transaction commits: before the Kafka offset commit, before anything.
    const crashing = startWorker(
      ['consume'],
      consumerEnv(topics, { CONSUMER_FAILPOINT: 'crash-after-commit:3' }),
    );
    await crashing.exited;
    expect(crashing.signalCode).toBe('SIGKILL');
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      const totals = await eventually(
        () => totalsOf(feed),
        (t) => t.n === '1000' && t.pending === '0',
      );
      expect(totals).toMatchObject({ n: '1000', units: '1000', revenue: '1000.00' });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await totalsOf(feed)).n).toBe('1000');
    } finally {
      await stopWorker(consumer);
    }
  });

  it('rides through a PostgreSQL restart mid-stream without losing or re-applying a batch', async () => {
    const { topics, feed, id } = await seedTopics('pgrestart', 'pgr', ['Restart', '0.10'], ['3', 'Lyon']);
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      await sendRaw(topics, topics.sales, saleRun(feed, 2, 500, id, '3', 2));
      await eventually(
        () => totalsOf(feed),
        (t) => Number(t.n) > 0,
      );
      await nativeRestart(
        loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: inject('stack').home }),
        createLogger('test', 'warn'),
        'postgres',
      );
      await sendRaw(topics, topics.sales, saleRun(feed, 502, 500, id, '3', 2));
      const totals = await eventually(
        () => totalsOf(feed),
        (t) => t.n === '1000' && t.pending === '0',
        90_000,
      );
      expect(totals).toMatchObject({ n: '1000', units: '2000', revenue: '200.00' });
      expect(consumer.exitCode).toBeNull();
    } catch (error) {
      console.error(consumer.output().slice(-5000));
      throw error;
    } finally {
      await stopWorker(consumer);
    }
  });

  it('shares partitions between two consumers of one group and ends with every sale exactly once', async () => {
    const { topics, feed, id } = await seedTopics('group', 'grp', ['Group', '1.00'], ['4', 'Bordeaux']);
    const env = consumerEnv(topics);
    const first = startWorker(['consume'], env);
    const send = async (from: number) => sendRaw(topics, topics.sales, saleRun(feed, from, 2000, id, '4', 1));
    await send(2);
    const second = startWorker(['consume'], env); // partitions move: a rebalance
    await send(2002);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    first.kill('SIGKILL'); // and move again, without a goodbye
    await send(4002);
    try {
      const totals = await eventually(
        () => totalsOf(feed),
        (t) => t.n === '6000' && t.pending === '0',
        120_000,
      );
      expect(totals).toMatchObject({ n: '6000', units: '6000', revenue: '6000.00' });
    } finally {
      await stopWorker(second);
    }
  });
});

describe('consume: late reference data and bad messages', () => {
  it('keeps a sale whose product is not known yet as pending, then completes it when the product arrives', async () => {
    const { topics, feed, id } = scenario('late');
    await sendRaw(topics, topics.stores, [store('5', 'Lille')]);
    await sendRaw(topics, topics.sales, [sale(feed, 2, id, '5', 3)]);
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      const pending = await eventually(
        () =>
          query<{ status: string; amount: string | null }>(
            'SELECT status, amount FROM sales WHERE feed = $1',
            [feed],
          ),
        (rows) => rows.length === 1,
      );
      expect(pending).toEqual([{ status: 'pending', amount: null }]);
      await sendRaw(topics, topics.products, [product(id, 'Arrive tard', '19.99')]);
      const done = await eventually(
        () =>
          query<{ status: string; unit_price: string; amount: string }>(
            'SELECT status, unit_price, amount FROM sales WHERE feed = $1',
            [feed],
          ),
        (rows) => rows[0]?.status === 'complete',
      );
      expect(done).toEqual([{ status: 'complete', unit_price: '19.99', amount: '59.97' }]);

      // A later price change does not move past revenue.
      await sendRaw(topics, topics.products, [product(id, 'Arrive tard', '25.00')]);
      await eventually(
        () => query<{ unit_price: string }>('SELECT unit_price FROM products WHERE product_id = $1', [id]),
        (r) => r[0]?.unit_price === '25.00',
      );
      expect(await query('SELECT amount FROM sales WHERE feed = $1', [feed])).toEqual([{ amount: '59.97' }]);
    } finally {
      await stopWorker(consumer);
    }
  });

  it('records a poison message and the producer dead letters as rejected rows, and goes on', async () => {
    const topics = isolatedTopics('poison');
    const feed = unique('poison');
    const dir = tempDir();
    const csv = path.join(dir, `${feed}.csv`);
    fs.writeFileSync(csv, `${SALES_HEADER}2024-01-01,REF001,0,1\r\n2024-01-01,REF001,1,1\r\n`);
    await produceOnce(['--sales', csv], producerEnv(topics));
    await sendRaw(topics, topics.sales, [
      { key: 'x', value: 'this is not JSON' },
      { key: 'y', value: '{"sale_id": 5}' },
    ]);
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      const rejected = await eventually(
        () =>
          query<{ stage: string; reason: string; line_number: string | null }>(
            'SELECT stage, reason, line_number FROM rejected_rows WHERE topic IN ($1, $2) ORDER BY stage, reason',
            [topics.sales, topics.deadLetter],
          ),
        (rows) => rows.length === 3,
      );
      expect(rejected).toEqual([
        { stage: 'consumer', reason: expect.stringMatching(/^invalid sale message/), line_number: null },
        { stage: 'consumer', reason: 'message value is not JSON', line_number: null },
        { stage: 'producer', reason: 'quantity is zero', line_number: '2' },
      ]);
      expect(
        (
          await eventually(
            () => totalsOf(feed),
            (t) => t.n === '1',
          )
        ).n,
      ).toBe('1');
    } finally {
      await stopWorker(consumer);
    }
  });
});

describe('consume: topics come from the producer only', () => {
  it('does not create the topics: the sales topic has the partitions the producer was configured with', async () => {
    const topics = isolatedTopics('parts');
    const feed = unique('parts');
    const dir = tempDir();
    fs.copyFileSync(path.join(CLIENT_DATA, 'ventes.csv'), path.join(dir, `${feed}.csv`));
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      // Started first, the consumer either creates the topics (it must not) or waits for them.
      await eventually(
        async () => ({
          created: await topicExists(topics.sales),
          waiting: /waiting for the topics/.test(consumer.output()),
        }),
        (s) => s.created || s.waiting,
      );
      const produced = await produceOnce(
        clientFileArgs(path.join(dir, `${feed}.csv`)),
        producerEnv(topics, { SALES_TOPIC_PARTITIONS: '5' }),
      );
      expect(produced.code, produced.stderr).toBe(0);
      expect(await partitionCount(topics.sales)).toBe(5);
      const totals = await eventually(
        () => totalsOf(feed),
        (t) => t.n === '30' && t.pending === '0',
      );
      expect(totals).toMatchObject({ units: '122', revenue: '5268.78' });
    } finally {
      expect(await stopWorker(consumer), consumer.output()).toBe(0);
    }
  });
});

describe('consume: rejected lines keep their exact bytes', () => {
  it('stores the raw bytes of invalid UTF-8 and NUL-bearing lines in rejected_rows.raw_bytes', async () => {
    const topics = isolatedTopics('bytes');
    const feed = unique('bytes');
    const csv = path.join(tempDir(), `${feed}.csv`);
    const lines = [
      Buffer.concat([Buffer.from('2024-01-01,REF00'), Buffer.from([0xff, 0xfe]), Buffer.from(',1,1')]),
      Buffer.concat([Buffer.from('2024-01-01,REF001,1,1'), Buffer.from([0xc3])]), // a cut multi-byte character
      Buffer.from('2024-01-01,REF\u0000001,1,1'), // valid UTF-8, but PostgreSQL text cannot hold the NUL
      Buffer.from('2024-01-01,REF001,1,1'),
    ];
    const crlf = Buffer.from('\r\n');
    fs.writeFileSync(csv, Buffer.concat([Buffer.from(SALES_HEADER), ...lines.flatMap((l) => [l, crlf])]));
    const produced = await produceOnce(['--sales', csv], producerEnv(topics));
    expect(produced.stdout).toContain('1 published, 3 dead-lettered');
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      const rejected = await eventually(
        () =>
          query<{ line_number: string; raw_bytes: Buffer | null; raw_line: string }>(
            'SELECT line_number, raw_bytes, raw_line FROM rejected_rows WHERE feed = $1 ORDER BY line_number',
            [feed],
          ),
        (rows) => rows.length === 3,
      );
      expect(rejected.map((r) => [r.line_number, r.raw_bytes?.toString('hex')])).toEqual([
        ['2', lines[0]?.toString('hex')],
        ['3', lines[1]?.toString('hex')],
        ['4', lines[2]?.toString('hex')],
      ]);
      // The text column stays readable (lossy); the bytes are the line exactly as it was in the feed.
      expect(rejected[0]?.raw_line).toBe('2024-01-01,REF00\uFFFD\uFFFD,1,1');
    } finally {
      await stopWorker(consumer);
    }
  });
});

describe('consume: a sale pending for too long is a warning', () => {
  it('shows in /healthz, in consumer_pending_sales_overdue and in sales-pipeline status', async () => {
    const { topics, feed, id } = scenario('overdue');
    const storeId = unique('S');
    await sendRaw(topics, topics.products, [product(id, 'Attend son magasin', '3.00')]);
    await sendRaw(topics, topics.sales, [sale(feed, 2, id, storeId, 1)]); // its store never comes
    const port = await freePort();
    const consumer = startWorker(
      ['consume'],
      consumerEnv(topics, { METRICS_PORT: String(port), PENDING_ALERT_AFTER: '2s' }),
    );
    try {
      await eventually(
        () => totalsOf(feed),
        (t) => t.pending === '1',
      );
      // Every sale pending for longer than 2 s now, ours included.
      await eventually(
        () =>
          query<{ n: string }>(
            "SELECT count(*) FILTER (WHERE feed = $1) AS n FROM sales WHERE status = 'pending' AND ingested_at < now() - interval '2 seconds'",
            [feed],
          ),
        (rows) => rows[0]?.n === '1',
      );
      const [{ n: overdue } = { n: '0' }] = await query<{ n: string }>(
        "SELECT count(*) AS n FROM sales WHERE status = 'pending' AND ingested_at < now() - interval '2 seconds'",
      );
      type Health = { ok: boolean; detail?: { pendingOverdue?: number; warnings?: string[] } };
      const health = await eventually(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as Promise<Health>,
        (h) => (h.detail?.pendingOverdue ?? 0) >= Number(overdue),
        30_000,
      );
      expect(health.ok).toBe(true); // a warning, not a broken consumer
      expect(health.detail?.warnings).toEqual([
        expect.stringMatching(
          /^\d+ sale\(s\) pending for longer than 2s \(oldest since .*\): see sales-pipeline dlq list$/,
        ),
      ]);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const sample = /^consumer_pending_sales_overdue(?:\{[^}]*\})? (\d+)$/m.exec(metrics);
      expect(Number(sample?.[1])).toBeGreaterThanOrEqual(Number(overdue));

      const { home, secrets } = inject('stack');
      const status = await collectStatus(
        loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: home }),
        { DATABASE_URL: secrets.databaseUrl, PENDING_ALERT_AFTER: '2s' },
        { sampleMs: 0 },
      );
      expect(status.errors).toContainEqual(
        expect.stringMatching(/^warning: \d+ sale\(s\) pending for longer than 2s/),
      );
    } finally {
      await stopWorker(consumer);
    }
  });
});
