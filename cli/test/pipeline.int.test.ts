import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, loadStackConfig, nativeSecrets } from '@sales-pipeline/stack';
import { runCli } from '../../test-support/cli-processes.ts';
import { eventually } from '../../test-support/eventually.ts';
import { ownPipelineEnv, ownPipelineHome } from '../../test-support/own-pipeline.ts';
import { readPipelineState } from '../src/pipeline/pipeline-state.ts';
import type { PipelineStatus } from '../src/pipeline/pipeline-status.ts';

/** `up` starts a stack of its own: this home, apart from the shared test stack. */
const home = ownPipelineHome('test-pipeline');
const env = ownPipelineEnv(home);
let admin: pg.Client;

async function status(): Promise<PipelineStatus> {
  const result = await runCli(['status', '--json', '--sample', '500'], env);
  return JSON.parse(result.stdout) as PipelineStatus;
}

beforeAll(async () => {
  fs.rmSync(home, { recursive: true, force: true });
  const up = await runCli(['up', '--demo', '--detach', '--rate', '40'], env, 600_000);
  expect(up.code, up.stderr).toBe(0);
  expect(up.stdout).toContain('pipeline up in');
  const secrets = nativeSecrets(loadStackConfig({ SALES_PIPELINE_HOME: home }));
  admin = new pg.Client({ connectionString: secrets?.adminDatabaseUrl });
  // `down` stops PostgreSQL under this connection: that ending is expected, not an error.
  admin.on('error', () => undefined);
  await admin.connect();
}, 660_000);

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await runCli(['down', '--purge'], env, 240_000);
}, 300_000);

describe('sales-pipeline up --demo --detach', () => {
  it('runs every worker healthy; simulated sales reach the rows, the aggregates and a milestone', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const s = await status();
    expect(s.healthy, JSON.stringify(s, null, 2)).toBe(true);
    expect(s.endpoints).toEqual({
      databaseUrl: expect.stringMatching(/^postgres(ql)?:\/\/sales_app@127\.0\.0\.1:\d+\/sales$/),
      kafkaBrokers: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      connectUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(JSON.stringify(s)).not.toMatch(/password|:[^/@:]+@127/i);
    expect(s.workers.map((w) => w.name).sort()).toEqual([
      'analytics',
      'consumer',
      'dashboard',
      'notifier',
      'producer',
      'simulator',
    ]);
    for (const w of s.workers) {
      expect(w.alive, w.name).toBe(true);
      expect(w.failed, w.name).toBeNull();
      if (w.name !== 'simulator') expect(w.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    }
    expect(s.connector?.state).toBe('RUNNING');
    expect(s.replicationSlot).toMatchObject({ name: 'sales_pipeline_cdc', active: true });
    expect(typeof s.replicationSlot?.lagBytes).toBe('number');
    expect(s.consumerLag.map((l) => `${l.group} ${l.topic}`)).toContain('sales-pipeline.consumer sales');
    expect(s.totals?.sales).toBeGreaterThan(0);

    // The sales reached the aggregates: every complete sale older than a few seconds is counted there
    // (the simulator keeps appending, so the totals are compared through each sale's recorded fact).
    await eventually(
      async () => {
        const { rows } = await admin.query<{ total: string; missing: string; old: string }>(
          `SELECT (SELECT revenue::text FROM analytics.revenue_total) AS total,
                  (SELECT count(*) FROM sales s WHERE status = 'complete' AND ingested_at < now() - interval '5 seconds'
                      AND NOT EXISTS (SELECT 1 FROM analytics.sale_facts f WHERE f.sale_id = s.sale_id AND f.counted)
                  ) AS missing,
                  (SELECT count(*) FROM sales WHERE ingested_at < now() - interval '5 seconds') AS old`,
        );
        return rows[0];
      },
      (row) => !!row && Number(row.total) > 0 && Number(row.old) > 0 && row.missing === '0',
      90_000,
    );
    const milestones = await eventually(
      async () => {
        const { rows } = await admin.query<{ n: string }>('SELECT count(*) AS n FROM milestones');
        return Number(rows[0]?.n);
      },
      (n) => n > 0,
      90_000,
    );
    expect(milestones).toBeGreaterThan(0);
    const metrics = await (
      await fetch(s.workers.find((w) => w.name === 'analytics')?.metricsUrl ?? '')
    ).text();
    expect(metrics).toMatch(/analytics_line_to_aggregate_seconds_count\{[^}]*\} [1-9]/);
  }, 240_000);

  it('dlq replay completes the pending sales once their product is added, with no duplicate', async () => {
    const state = readPipelineState(home);
    const feed = state?.feeds.sales as string;
    fs.appendFileSync(feed, '2026-11-22,REF999,3,1\r\n2026-11-22,REF999,2,2\r\n');
    await eventually(
      async () => {
        const { rows } = await admin.query<{ n: string }>(
          "SELECT count(*) AS n FROM sales WHERE product_id = 'REF999' AND status = 'pending'",
        );
        return Number(rows[0]?.n);
      },
      (n) => n === 2,
      60_000,
    );
    const listed = await runCli(['dlq', 'list', '--json'], env);
    const list = JSON.parse(listed.stdout) as {
      pending: Array<{ productId: string; missing: string; sales: number }>;
    };
    expect(list.pending.filter((p) => p.productId === 'REF999')).toEqual([
      expect.objectContaining({ missing: 'product', sales: 1 }),
      expect.objectContaining({ missing: 'product', sales: 1 }),
    ]);

    // The cause is fixed outside the feeds: the product is added to the database.
    await admin.query(
      "INSERT INTO products (product_id, name, unit_price, stock) VALUES ('REF999', 'Produit Z', 12.34, 10)",
    );
    const replay = await runCli(['dlq', 'replay'], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('2 pending sales completed');
    const again = await runCli(['dlq', 'replay'], env);
    expect(again.stdout).toContain('0 pending sales completed');

    const { rows } = await admin.query<{ n: string; amounts: string; statuses: string }>(
      `SELECT count(*) AS n, string_agg(amount::text, ',' ORDER BY amount) AS amounts,
              string_agg(DISTINCT status, ',') AS statuses
         FROM sales WHERE product_id = 'REF999'`,
    );
    expect(rows[0]).toEqual({ n: '2', amounts: '24.68,37.02', statuses: 'complete' });
    await eventually(
      async () => {
        const r = await admin.query<{ revenue: string; sales: string }>(
          "SELECT revenue::text, sales::text FROM analytics.by_product WHERE product_id = 'REF999'",
        );
        return r.rows[0];
      },
      (row) => row?.revenue === '61.70' && row?.sales === '2',
      60_000,
    );
  }, 180_000);

  it('down stops every process it started and leaves none behind', async () => {
    const state = readPipelineState(home);
    const pids = [state?.supervisorPid, ...Object.values(state?.workers ?? {}).map((w) => w?.pid)].filter(
      (p): p is number => p !== undefined,
    );
    expect(pids.length).toBe(7);
    const stackPids = (await status()).components.map((c) => c.pid).filter((p): p is number => !!p);
    expect(stackPids.length).toBeGreaterThanOrEqual(3);
    await admin.end();
    const down = await runCli(['down'], env, 240_000);
    expect(down.code, down.stderr).toBe(0);
    for (const pid of [...pids, ...stackPids]) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(readPipelineState(home)).toBeUndefined();
  }, 300_000);
});
