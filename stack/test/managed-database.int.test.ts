import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../test-support/cli-processes.ts';

/**
 * `migrate` on a database as managed services give it: the owner is not a superuser (it may create roles,
 * as RDS's master user or Cloud SQL's postgres can), the pipeline's roles were made beforehand where they
 * need a superuser (sales_cdc's REPLICATION). And on a database where the migrating role lacks a right,
 * `migrate` names it and changes nothing.
 */
const { secrets } = inject('stack');
const OWNER_PASSWORD = 'managed-owner-password-1';
const WEAK_PASSWORD = 'weak-owner-password-12';

async function asAdmin(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: secrets.adminDatabaseUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function urlOf(user: string, password: string, database: string): string {
  const url = new URL(secrets.adminDatabaseUrl);
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

const dropAll = (admin: pg.Client) =>
  (async () => {
    await admin.query('DROP DATABASE IF EXISTS managed_sales WITH (FORCE)');
    await admin.query('DROP DATABASE IF EXISTS weak_sales WITH (FORCE)');
    await admin.query('DROP ROLE IF EXISTS managed_owner');
    await admin.query('DROP ROLE IF EXISTS weak_owner');
  })();

beforeAll(async () => {
  await asAdmin(async (admin) => {
    await dropAll(admin);
    // The roles sales_app, sales_reader and sales_cdc are the cluster's already (the test stack's migration).
    await admin.query(`CREATE ROLE managed_owner LOGIN CREATEROLE PASSWORD '${OWNER_PASSWORD}'`);
    await admin.query('CREATE DATABASE managed_sales OWNER managed_owner');
    await admin.query(`CREATE ROLE weak_owner LOGIN PASSWORD '${WEAK_PASSWORD}'`);
    await admin.query('CREATE DATABASE weak_sales');
  });
});

afterAll(async () => {
  await asAdmin(dropAll);
});

describe('migrate on a database whose owner is not a superuser', () => {
  it('checks the database, then migrates it: tables, grants and the publication, owned by that role', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_ADMIN_URL: urlOf('managed_owner', OWNER_PASSWORD, 'managed_sales'),
      LOG_LEVEL: 'warn',
    };
    const check = await runCli(['migrate', '--check'], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('✓ wal_level = logical (it is logical)');
    expect(check.stdout).not.toContain('✗');
    const migrated = await runCli(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/^applied \d+ migration\(s\)/);
    const client = new pg.Client({ connectionString: env.DATABASE_ADMIN_URL });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'sales') AS owner,
                (SELECT count(*) FROM pg_publication_tables WHERE pubname = 'sales_pipeline_cdc')::int AS captured,
                (SELECT rowfilter FROM pg_publication_tables
                  WHERE pubname = 'sales_pipeline_cdc' AND tablename = 'sales') AS sales_filter,
                has_table_privilege('sales_app', 'public.sales', 'INSERT') AS app_writes,
                has_table_privilege('sales_reader', 'public.sales', 'INSERT') AS reader_writes`,
      );
      expect(rows[0]).toEqual({
        owner: 'managed_owner',
        // Seven tables and the backfills' chunks; a backfill's bulk rows are left out of the capture.
        captured: 8,
        sales_filter: '(NOT bulk)',
        app_writes: true,
        reader_writes: false,
      });
    } finally {
      await client.end();
    }
    expect((await runCli(['migrate'], env)).stdout).toContain('database is up to date');
  });

  it('names what is missing and changes nothing when the role may not create in the database', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_ADMIN_URL: urlOf('weak_owner', WEAK_PASSWORD, 'weak_sales'),
      LOG_LEVEL: 'warn',
    };
    const check = await runCli(['migrate', '--check'], env);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      '✗ the migrating role may create schemas and the publication in this database',
    );
    expect(check.stdout).toContain('fix: run migrate as the database owner');
    const refused = await runCli(['migrate'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the database is not ready for the pipeline');
    expect(refused.stderr).not.toContain(WEAK_PASSWORD);
    const client = new pg.Client({ connectionString: env.DATABASE_ADMIN_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT to_regclass('public.pgmigrations') AS table`);
      expect(rows[0]).toEqual({ table: null });
    } finally {
      await client.end();
    }
  });
});
