import { ConfigError } from './errors.ts';
import { errorChain, UNTRUSTED_CERTIFICATE_CODES } from './kafka-security.ts';

/** SQLSTATEs of a login the server refuses: no pg_hba.conf line (TLS required, say), wrong password, no such database or role. */
const REFUSED_LOGIN = new Map([
  ['28000', 'refused the connection'],
  ['28P01', 'refused the password'],
  ['3D000', 'has no such database'],
]);

/**
 * SQLSTATEs of a database that is not (yet) the pipeline's: a table or schema of the migrations is
 * missing. Waiting will not create it.
 */
const NOT_MIGRATED = new Set(['42P01', '3F000']);

/** `host:port` of a database URL, without user or password. */
export function databaseEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return 'the configured address';
  }
}

/**
 * Whether the database has the pipeline's migrations (their bookkeeping table, kept by `sales-pipeline
 * migrate`). The query needs no right on the table.
 */
export const MIGRATED_QUERY = "SELECT to_regclass('public.pgmigrations') IS NOT NULL AS migrated";

/** A database that has never been migrated, as a {@link ConfigError} naming the server and what to run. */
export function notMigratedError(databaseUrl: string): ConfigError {
  return new ConfigError([
    `DATABASE_URL: PostgreSQL at ${databaseEndpoint(databaseUrl)}: this database has none of the pipeline's tables (no migration was ever applied to it): apply the migrations (sales-pipeline migrate) or point DATABASE_URL at the pipeline's database`,
  ]);
}

/**
 * A PostgreSQL failure no retry can mend (the server refuses the login or a connection without TLS, its
 * certificate does not verify, it has no TLS when the URL requires it, the database lacks the migrations'
 * tables), as a {@link ConfigError} naming
 * the server and the cause, never the password: the worker exits with code 2 and `up`'s supervisor does
 * not restart it. Any other error: undefined.
 */
export function databaseAccessError(
  error: unknown,
  databaseUrl: string | undefined,
): ConfigError | undefined {
  if (databaseUrl === undefined) return undefined;
  const where = `PostgreSQL at ${databaseEndpoint(databaseUrl)}`;
  const chain = errorChain(error);
  const refused = chain.find((e) => REFUSED_LOGIN.has(e.code ?? ''));
  if (refused)
    return new ConfigError([
      `DATABASE_URL: ${where} ${REFUSED_LOGIN.get(refused.code ?? '')} (${refused.message}): check the user, its password, the database and the URL's sslmode (a server that requires TLS refuses sslmode=disable)`,
    ]);
  const tls = chain.find((e) => UNTRUSTED_CERTIFICATE_CODES.test(e.code ?? ''));
  if (tls)
    return new ConfigError([
      `DATABASE_URL: ${where}: its TLS certificate does not verify (${tls.code}: ${tls.message}): set sslrootcert in the URL to the CA that signed it, and connect by a name or address the certificate holds`,
    ]);
  const missing = chain.find((e) => NOT_MIGRATED.has(e.code ?? ''));
  if (missing)
    return new ConfigError([
      `DATABASE_URL: ${where}: ${missing.message}: the database lacks the pipeline's tables; apply the migrations (sales-pipeline migrate) or point DATABASE_URL at the pipeline's database`,
    ]);
  const noTls = chain.find((e) => /does not support SSL connections/.test(e.message));
  if (noTls)
    return new ConfigError([
      `DATABASE_URL: ${where} does not serve TLS, and the URL's sslmode requires it: turn TLS on there, or lower sslmode`,
    ]);
  return undefined;
}
