import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sales-pipeline/stack';
import { runCli } from '../../test-support/cli-processes.ts';

/** A second stack with its own home, so that stopping it does not disturb the shared one. */
const home = path.join(REPO_ROOT, '.stack', 'test-lifecycle');
const env = { ...process.env, SALES_PIPELINE_HOME: home, LOG_LEVEL: 'warn' };

interface StatusJson {
  mode: string;
  healthy: boolean;
  endpoints: { databaseUrl: string; kafkaBrokers: string; connectUrl: string };
  components: Array<{ name: string; healthy: boolean; pid?: number }>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function status(): Promise<StatusJson> {
  const result = await runCli(['stack', 'status', '--json'], env);
  return JSON.parse(result.stdout) as StatusJson;
}

async function adminUrl(): Promise<string> {
  const result = await runCli(['stack', 'env'], env);
  const line = result.stdout.split('\n').find((l) => l.startsWith('export DATABASE_ADMIN_URL='));
  return (line ?? '').replace(/^export DATABASE_ADMIN_URL='(.*)'$/, '$1');
}

afterAll(async () => {
  await runCli(['stack', 'down'], env);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('stack up, status, down and up again', () => {
  let pids: number[] = [];

  it('starts, reports every component healthy and prints the endpoints', async () => {
    fs.rmSync(home, { recursive: true, force: true });
    const up = await runCli(['stack', 'up', '--json'], env);
    expect(up.code, up.stderr).toBe(0);
    const printed = JSON.parse(up.stdout) as { endpoints: StatusJson['endpoints'] };
    expect(printed.endpoints.databaseUrl).toMatch(/^postgres:\/\/sales_app@127\.0\.0\.1:\d+\/sales$/);

    const current = await status();
    expect(current.healthy).toBe(true);
    expect(current.endpoints).toEqual(printed.endpoints);
    expect(current.components.map((c) => [c.name, c.healthy])).toEqual([
      ['postgres', true],
      ['kafka', true],
      ['connect', true],
      ['connector', true],
    ]);
    pids = current.components.flatMap((c) => (c.pid ? [c.pid] : []));
    expect(pids).toHaveLength(3);

    const db = new pg.Client({ connectionString: await adminUrl() });
    await db.connect();
    await db.query(
      `INSERT INTO products (product_id, name, unit_price) VALUES ('KEEP', 'Survives a restart', 1.23)`,
    );
    await db.end();
  });

  it('stops every process on down and reports it', async () => {
    const down = await runCli(['stack', 'down'], env);
    expect(down.code, down.stderr).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    const current = await status();
    expect(current.healthy).toBe(false);
    expect(current.components.every((c) => !c.healthy)).toBe(true);
  });

  it('reuses the data on the next up', async () => {
    const up = await runCli(['stack', 'up'], env);
    expect(up.code, up.stderr).toBe(0);
    const db = new pg.Client({ connectionString: await adminUrl() });
    await db.connect();
    const { rows } = await db.query(`SELECT name, unit_price FROM products WHERE product_id = 'KEEP'`);
    await db.end();
    expect(rows).toEqual([{ name: 'Survives a restart', unit_price: '1.23' }]);
  });
});
