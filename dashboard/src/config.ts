import fs from 'node:fs';
import { z } from 'zod';
import {
  ConfigError,
  databaseUrlSchema,
  logLevelSchema,
  metricsEnvShape,
  parseConfig,
  secretFromEnv,
  type Env,
} from '@sales-pipeline/platform';
import { isPasswordHash } from './server/passwords.ts';

/** The port the dashboard listens on unless DASHBOARD_PORT or --port says otherwise. */
export const DEFAULT_DASHBOARD_PORT = 8090;

const schema = z.object({
  /** DATABASE_READER_URL: the read-only reporting role (sales_reader). Required. */
  DATABASE_READER_URL: databaseUrlSchema,
  /** DASHBOARD_HOST: the interface to listen on. Default 127.0.0.1 (this machine only). */
  DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * DASHBOARD_PORT: the port. Unset: 8090, or any free port when 8090 is taken (the URL is in the log,
   * in `status` and printed by `up`). Set (or --port): that port, or an error.
   */
  DASHBOARD_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** KAFKA_BROKERS: used when the pipeline's status does not tell the broker (a stack it did not start). */
  KAFKA_BROKERS: z.string().min(1).optional(),
  /**
   * DASHBOARD_USERS_FILE: who may log in, a line `user:hash` each (`sales-pipeline dashboard hash-password`
   * makes the hash). DASHBOARD_TOKEN (or DASHBOARD_TOKEN_FILE): a bearer token for scripts. Beyond
   * loopback the dashboard refuses to start without one of them.
   */
  DASHBOARD_USERS_FILE: z.string().min(1).optional(),
  /** DASHBOARD_TLS_CERT_FILE / DASHBOARD_TLS_KEY_FILE: serve HTTPS with this certificate and key (PEM). */
  DASHBOARD_TLS_CERT_FILE: z.string().min(1).optional(),
  DASHBOARD_TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: logLevelSchema,
  ...metricsEnvShape,
});

export type DashboardConfig = z.infer<typeof schema> & {
  /** The users and their password hashes (from DASHBOARD_USERS_FILE). */
  users: Map<string, string>;
  /** DASHBOARD_TOKEN, at least 16 characters. */
  token?: string | undefined;
  /** The certificate and key, read. */
  tls?: { cert: string; key: string } | undefined;
};

const isLoopbackHost = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

/** `user:hash` lines (blank lines and `#` comments skipped); each problem named by its line number. */
export function parseUsersFile(text: string, problems: string[]): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    const user = trimmed.slice(0, colon);
    const hash = trimmed.slice(colon + 1);
    if (colon <= 0 || !isPasswordHash(hash))
      problems.push(
        `DASHBOARD_USERS_FILE: line ${index + 1} is not "user:hash" with a hash from \`sales-pipeline dashboard hash-password\``,
      );
    else users.set(user, hash);
  });
  return users;
}

function readFileFor(name: string, file: string | undefined, problems: string[]): string | undefined {
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/**
 * The dashboard's configuration, validated once. Bound beyond loopback (`DASHBOARD_HOST=0.0.0.0`, a
 * container), it shows every sale to whoever reaches it: without DASHBOARD_USERS_FILE or DASHBOARD_TOKEN
 * that is a {@link ConfigError} (exit code 2), not a warning.
 */
export function loadDashboardConfig(env: Env): DashboardConfig {
  const config = parseConfig(schema, env);
  const problems: string[] = [];
  const token = secretFromEnv(env, 'DASHBOARD_TOKEN', problems);
  if (token !== undefined && token.length < 16)
    problems.push('DASHBOARD_TOKEN: must be at least 16 characters');
  const usersText = readFileFor('DASHBOARD_USERS_FILE', config.DASHBOARD_USERS_FILE, problems);
  const users = usersText === undefined ? new Map<string, string>() : parseUsersFile(usersText, problems);
  if (usersText !== undefined && users.size === 0 && problems.length === 0)
    problems.push('DASHBOARD_USERS_FILE: holds no user');
  const cert = readFileFor('DASHBOARD_TLS_CERT_FILE', config.DASHBOARD_TLS_CERT_FILE, problems);
  const key = readFileFor('DASHBOARD_TLS_KEY_FILE', config.DASHBOARD_TLS_KEY_FILE, problems);
  if ((config.DASHBOARD_TLS_CERT_FILE === undefined) !== (config.DASHBOARD_TLS_KEY_FILE === undefined))
    problems.push('DASHBOARD_TLS_CERT_FILE and DASHBOARD_TLS_KEY_FILE: set both, or neither');
  if (
    !isLoopbackHost(config.DASHBOARD_HOST) &&
    users.size === 0 &&
    token === undefined &&
    problems.length === 0
  )
    problems.push(
      `DASHBOARD_HOST: ${config.DASHBOARD_HOST} is beyond loopback, where the dashboard would show every sale to anyone who reaches it: set DASHBOARD_USERS_FILE (users and password hashes: sales-pipeline dashboard hash-password) or DASHBOARD_TOKEN, or listen on 127.0.0.1`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, users, token, tls: cert && key ? { cert, key } : undefined };
}

/** The URL the dashboard is served at for a configuration (what `up` prints before it listens). */
export function dashboardUrl(env: Env, port?: number): string {
  const host = env.DASHBOARD_HOST || '127.0.0.1';
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const scheme = env.DASHBOARD_TLS_CERT_FILE ? 'https' : 'http';
  return `${scheme}://${shown}:${port ?? (Number(env.DASHBOARD_PORT) || DEFAULT_DASHBOARD_PORT)}/`;
}
