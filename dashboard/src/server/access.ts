import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { sameSecret, verifyPassword } from './passwords.ts';

/** Who may read the dashboard: users with password hashes (a login page), a bearer token, or both. */
export interface AccessOptions {
  /** user → scrypt hash (DASHBOARD_USERS_FILE). */
  users?: ReadonlyMap<string, string> | undefined;
  /** A bearer token for scripts (DASHBOARD_TOKEN). */
  token?: string | undefined;
  /** Served over TLS: the session cookie is `Secure`. */
  secureCookies: boolean;
  /** How long a session lasts without a new login. Default 12 h. */
  sessionMs?: number;
  /** Failed logins allowed per client address in `windowMs` before 429. Default 5 a minute. */
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

export const SESSION_COOKIE = 'sp_session';

/** A hash to check unknown users' passwords against, so that an unknown user takes as long as a known one. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export type LoginOutcome =
  { ok: true; cookie: string } | { ok: false; status: 401 } | { ok: false; status: 429; retryAfterS: number };

/**
 * The dashboard's authentication: sessions made by a login (an HTTP-only, SameSite=Strict cookie holding
 * a random id; the sessions live in this process), a bearer token compared in constant time, and failed
 * logins limited per client address. Nothing here logs or echoes a password or a token.
 */
export class DashboardAccess {
  private readonly sessions = new Map<string, { user: string; expires: number }>();
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly sessionMs: number;
  private readonly maxFailures: number;
  private readonly windowMs: number;

  constructor(private readonly options: AccessOptions) {
    this.now = options.now ?? Date.now;
    this.sessionMs = options.sessionMs ?? 12 * 3600_000;
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Whether there is a login page (users are configured). */
  get hasLogin(): boolean {
    return (this.options.users?.size ?? 0) > 0;
  }

  /** Whether the request carries a live session or the bearer token. */
  allows(request: http.IncomingMessage): boolean {
    const { token } = this.options;
    const authorization = request.headers.authorization ?? '';
    if (token && authorization.startsWith('Bearer ') && sameSecret(authorization.slice(7).trim(), token))
      return true;
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!id) return false;
    const session = this.sessions.get(id);
    if (!session) return false;
    if (session.expires <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /** Checks a login; a new session's cookie when it is right. Too many failures from `client`: 429. */
  async login(client: string, user: string, password: string): Promise<LoginOutcome> {
    const now = this.now();
    const recent = (this.failures.get(client) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.maxFailures) {
      const retryAfterS = Math.max(1, Math.ceil(((recent[0] as number) + this.windowMs - now) / 1000));
      return { ok: false, status: 429, retryAfterS };
    }
    const hash = this.options.users?.get(user);
    const right = await verifyPassword(password, hash ?? DUMMY_HASH).catch(() => false);
    if (!right || hash === undefined) {
      recent.push(now);
      this.failures.set(client, recent);
      return { ok: false, status: 401 };
    }
    this.failures.delete(client);
    this.forgetExpired(now);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { user, expires: now + this.sessionMs });
    return { ok: true, cookie: this.cookie(id, this.sessionMs / 1000) };
  }

  /** Ends the request's session; the cookie that clears it. */
  logout(request: http.IncomingMessage): string {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAgeS: number): string {
    const secure = this.options.secureCookies ? '; Secure' : '';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeS)}${secure}`;
  }

  private forgetExpired(now: number): void {
    for (const [id, session] of this.sessions) if (session.expires <= now) this.sessions.delete(id);
    for (const [client, times] of this.failures)
      if (times.every((at) => at <= now - this.windowMs)) this.failures.delete(client);
  }
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
