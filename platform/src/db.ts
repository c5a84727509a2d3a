import pg from 'pg';
import type { Logger } from './logger.ts';

export type { Pool, PoolClient } from 'pg';

/** SQLSTATE classes and codes after which the same transaction may succeed if tried again. */
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03']);
const RETRIABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a database error is transient: connection loss (class 08, socket errors, a server shutting
 * down), serialization failure, deadlock, too many connections. Decided by SQLSTATE, never by message
 * text — except node-postgres's own "Connection terminated" errors, which carry no code.
 */
export function isRetriableDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || RETRIABLE_SQLSTATES.has(code) || RETRIABLE_NODE_CODES.has(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /^Connection terminated|^terminating connection|Client has encountered a connection error|timeout exceeded when trying to connect/.test(
    message,
  );
}

/** A connection pool whose idle-client errors are logged instead of crashing the process. */
export function createPool(
  connectionString: string,
  logger: Logger,
  options: { max?: number; applicationName?: string } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 4,
    application_name: options.applicationName ?? 'sales-pipeline',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => logger.warn({ module: 'pg', err: error }, 'idle database connection failed'));
  return pool;
}

/**
 * Runs `work` with one pooled client. While it is checked out, the client's connection errors (a server
 * restart between two queries) are caught here — the query in progress fails on its own — instead of
 * crashing the process as an unhandled 'error' event. A client that failed is discarded, not reused.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    if (isRetriableDbError(error)) broken = true;
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Runs `work` in one transaction on one client: BEGIN, COMMIT, ROLLBACK on error, release always. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
