import path from 'node:path';
import pg from 'pg';
import type { Logger } from '@sales-pipeline/platform';
import { REPO_ROOT } from './config.ts';
import {
  DatabaseNotReadyError,
  readDatabaseFacts,
  readinessChecklist,
  type ReadinessItem,
} from './database-readiness.ts';

/** The migrations directory: plain SQL files run in name order by node-pg-migrate. */
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'db', 'migrations');

/** Passwords to give the pipeline's roles; a role left out keeps what it has. */
export interface RolePasswords {
  app?: string | undefined;
  reader?: string | undefined;
  cdc?: string | undefined;
}

const ROLE_NAMES = { app: 'sales_app', reader: 'sales_reader', cdc: 'sales_cdc' } as const;

/** The checklist of what the database must offer the pipeline ({@link readinessChecklist}), read with `admin`. */
export async function checkDatabase(admin: pg.ClientConfig): Promise<ReadinessItem[]> {
  const client = new pg.Client(admin);
  await client.connect();
  try {
    return readinessChecklist(await readDatabaseFacts(client));
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending migration (one advisory lock, each migration in its own transaction) and
 * returns the names of those it ran. Safe to call on every start. First checks that the database offers
 * what the pipeline needs (logical decoding, the rights to create its schema, roles and publication): a
 * {@link DatabaseNotReadyError} naming each missing item and its fix, before anything is changed.
 */
export async function runMigrations(admin: pg.ClientConfig, logger: Logger): Promise<string[]> {
  const missing = (await checkDatabase(admin)).filter((item) => !item.ok);
  if (missing.length > 0) throw new DatabaseNotReadyError(missing);
  // The migration library is loaded only by what migrates (`stack up`, `up`, `migrate`).
  const { runner } = await import('node-pg-migrate');
  const ran = await runner({
    databaseUrl: admin,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    checkOrder: true,
    verbose: false,
    log: (message: string) => logger.debug({ module: 'migrate' }, message),
  });
  const names = ran.map((migration) => migration.name);
  logger.info({ module: 'migrate', applied: names.length, names }, 'migrations applied');
  return names;
}

/** Lets the roles log in with the given passwords. The statement is built with escaped literals. */
export async function setRolePasswords(admin: pg.ClientConfig, passwords: RolePasswords): Promise<void> {
  const client = new pg.Client(admin);
  await client.connect();
  try {
    for (const [key, role] of Object.entries(ROLE_NAMES) as Array<[keyof RolePasswords, string]>) {
      const password = passwords[key];
      if (!password) continue;
      await client.query(
        `ALTER ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(password)}`,
      );
    }
  } finally {
    await client.end();
  }
}
