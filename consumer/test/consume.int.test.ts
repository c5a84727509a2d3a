import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadStackConfig, nativeRestartPostgres } from '@sales-pipeline/stack';
import {
  CLIENT_DATA,
  produceOnce,
  producerEnv,
  tempDir,
  SALES_HEADER,
} from '../../producer/test/producer-harness.ts';
import {
  consumerEnv,
  eventually,
  isolatedTopics,
  product,
  query,
  sale,
  sendRaw,
  startWorker,
  stopWorker,
  store,
} from './consumer-harness.ts';

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

describe('consume: the client files end to end', () => {
  it('stores 30 sales, 122 units and 5,268.78 € exactly, through producer and consumer', async () => {
    const topics = isolatedTopics('e2e');
    const dir = tempDir();
    const feed = unique('ventes');
    fs.copyFileSync(path.join(CLIENT_DATA, 'ventes.csv'), path.join(dir, `${feed}.csv`));
    const produced = await produceOnce(
      [
        '--sales',
        path.join(dir, `${feed}.csv`),
        '--products',
        path.join(CLIENT_DATA, 'produits.csv'),
        '--stores',
        path.join(CLIENT_DATA, 'magasins.csv'),
      ],
      producerEnv(topics),
    );
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
    const topics = isolatedTopics('dup');
    const feed = unique('dup');
    const id = unique('P');
    await sendRaw(topics, topics.products, [product(id, 'Dup', '2.50')]);
    await sendRaw(topics, topics.stores, [store('1', 'Paris')]);
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
      await sendRaw(topics, topics.sales, [sale(feed, 2, id, '1', 4)]); // once more, later
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await totalsOf(feed)).toMatchObject({ n: '2', units: '5' });
    } finally {
      await stopWorker(consumer);
    }
  });

  it('loses and duplicates nothing when killed right after a database commit', async () => {
    const topics = isolatedTopics('crash');
    const feed = unique('crash');
    const id = unique('P');
    await sendRaw(topics, topics.products, [product(id, 'Crash', '1.00')]);
    await sendRaw(topics, topics.stores, [store('2', 'Marseille')]);
    for (let batch = 0; batch < 5; batch++) {
      await sendRaw(
        topics,
        topics.sales,
        Array.from({ length: 200 }, (_, i) => sale(feed, 2 + batch * 200 + i, id, '2', 1)),
      );
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
    const topics = isolatedTopics('pgrestart');
    const feed = unique('pgr');
    const id = unique('P');
    await sendRaw(topics, topics.products, [product(id, 'Restart', '0.10')]);
    await sendRaw(topics, topics.stores, [store('3', 'Lyon')]);
    const consumer = startWorker(['consume'], consumerEnv(topics));
    try {
      await sendRaw(
        topics,
        topics.sales,
        Array.from({ length: 500 }, (_, i) => sale(feed, 2 + i, id, '3', 2)),
      );
      await eventually(
        () => totalsOf(feed),
        (t) => Number(t.n) > 0,
      );
      await nativeRestartPostgres(
        loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: inject('stack').home }),
      );
      await sendRaw(
        topics,
        topics.sales,
        Array.from({ length: 500 }, (_, i) => sale(feed, 502 + i, id, '3', 2)),
      );
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
    const topics = isolatedTopics('group');
    const feed = unique('grp');
    const id = unique('P');
    await sendRaw(topics, topics.products, [product(id, 'Group', '1.00')]);
    await sendRaw(topics, topics.stores, [store('4', 'Bordeaux')]);
    const env = consumerEnv(topics);
    const first = startWorker(['consume'], env);
    const send = async (from: number) =>
      sendRaw(
        topics,
        topics.sales,
        Array.from({ length: 2000 }, (_, i) => sale(feed, from + i, id, '4', 1)),
      );
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
    const topics = isolatedTopics('late');
    const feed = unique('late');
    const id = unique('P');
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
