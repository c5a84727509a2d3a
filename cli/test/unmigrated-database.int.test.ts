import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../test-support/cli-processes.ts';
import { stackWorkerEnv } from '../../test-support/worker-env.ts';

const database = `unmigrated_${Date.now().toString(36)}`;
const admin = () => new pg.Client({ connectionString: inject('stack').secrets.adminDatabaseUrl });
let emptyUrl = '';
let file = '';

beforeAll(async () => {
  const client = admin();
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
  const url = new URL(inject('stack').secrets.adminDatabaseUrl);
  url.pathname = `/${database}`;
  emptyUrl = url.toString();
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sp-unmigrated-')), 'history.csv');
  fs.writeFileSync(file, 'Date,ID Référence produit,Quantité,ID Magasin\n2024-01-02,REF001,1,1\n');
});

afterAll(async () => {
  const client = admin();
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await client.end();
  }
});

describe('a database without the migrations', () => {
  it.each([['backfill'], ['consume'], ['analytics'], ['notify']])(
    '%s says so and what to run, exits 2 (not restarted), no stack trace',
    async (command) => {
      const result = await runCli(
        command === 'backfill' ? ['backfill', file, '--feed-id', 'history'] : [command],
        stackWorkerEnv({ DATABASE_URL: emptyUrl, SLACK_BOT_TOKEN: 'xoxb-unused', SLACK_CHANNEL: '#unused' }),
        120_000,
      );
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain("this database has none of the pipeline's tables");
      expect(result.stderr).toContain('apply the migrations (sales-pipeline migrate)');
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
    150_000,
  );
});
