import type { Env } from './config.ts';
import { ConfigError } from './errors.ts';
import { secretFromEnv } from './kafka-security.ts';

/** A Kafka Connect REST API login (HTTP basic auth). */
export interface ConnectAuth {
  username: string;
  password: string;
}

/**
 * The Connect REST API's login from the environment: CONNECT_USERNAME with CONNECT_PASSWORD (or
 * CONNECT_PASSWORD_FILE); undefined when no user is set (a Connect without authentication). A user without
 * a password, or the reverse, is a {@link ConfigError} naming it (exit code 2), never a 401 later.
 */
export function connectAuth(env: Env = process.env): ConnectAuth | undefined {
  const problems: string[] = [];
  const username = env.CONNECT_USERNAME || undefined;
  const password = secretFromEnv(env, 'CONNECT_PASSWORD', problems);
  if (username && password === undefined && problems.length === 0)
    problems.push('CONNECT_PASSWORD: is required with CONNECT_USERNAME (or CONNECT_PASSWORD_FILE)');
  if (!username && password !== undefined)
    problems.push('CONNECT_USERNAME: is required with CONNECT_PASSWORD');
  if (problems.length > 0) throw new ConfigError(problems);
  return username && password !== undefined ? { username, password } : undefined;
}

/** The `Authorization` header of a login (none without one). */
export function connectAuthHeaders(auth: ConnectAuth | undefined): Record<string, string> {
  if (!auth) return {};
  const token = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
  return { authorization: `Basic ${token}` };
}
