import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sales-pipeline/stack';
import { loadDashboardConfig } from '../src/config.ts';
import { DashboardAccess } from '../src/server/access.ts';
import { startHttpServer, type DashboardServer } from '../src/server/http-server.ts';
import { hashPassword } from '../src/server/passwords.ts';
import { CHROMIUM, launchChromium, text } from './browser.ts';
import { FakeHub } from './fake-hub.ts';
import { selfSignedCertificate } from '../../test-support/self-signed.ts';

/**
 * The dashboard with authentication, in headless Chromium against the real server (fake data): the page
 * sends a stranger to the login form, a wrong password is refused, the right one opens the page; the API
 * takes a session or the bearer token; failed logins are rate-limited; the cookie is HTTP-only and
 * SameSite; TLS when given a certificate; and beyond loopback it does not start without any of it.
 */
const PASSWORD = 'correct horse battery staple';
const TOKEN = 'a-bearer-token-for-scripts-0123';
let users: Map<string, string>;
let server: DashboardServer;
let browser: Browser | undefined;

beforeAll(async () => {
  users = new Map([['alice', await hashPassword(PASSWORD)]]);
  server = await startHttpServer(new FakeHub(), {
    host: '127.0.0.1',
    port: 0,
    access: new DashboardAccess({ users, token: TOKEN, secureCookies: false }),
  });
  if (fs.existsSync(CHROMIUM)) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const login = (user: string, password: string) =>
  fetch(`${server.url}login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, password }).toString(),
  });

describe.skipIf(!fs.existsSync(CHROMIUM))('the dashboard behind a login, in a browser', () => {
  it('sends a stranger to the login form, refuses a wrong password, opens the page with the right one', async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(server.url);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name="user"]', 'alice');
    await page.fill('input[name="password"]', 'not the password');
    await page.click('button[type="submit"]');
    expect(await text(page, '[data-testid="login-error"]')).toBe('Wrong user or password.');
    expect(await page.locator('[data-testid="kpi-revenue"]').count()).toBe(0);
    await page.fill('input[name="user"]', 'alice');
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[type="submit"]');
    await expect.poll(() => text(page, '[data-testid="kpi-revenue"]')).toBe('5\u202f268,78 €');
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'sp_session', httpOnly: true, sameSite: 'Strict' });
    await page.close();
  });
});

describe('the dashboard behind a login, over HTTP', () => {
  it('the API and the event stream answer 401 without a session or with a wrong token, 200 with the token', async () => {
    expect((await fetch(`${server.url}api/sales`)).status).toBe(401);
    expect((await fetch(`${server.url}events`)).status).toBe(401);
    const wrong = await fetch(`${server.url}api/sales`, {
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
    const right = await fetch(`${server.url}api/sales`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    // The page itself sends to the login form; its style sheet is public (nothing of the data).
    const root = await fetch(server.url, { redirect: 'manual' });
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/login');
    expect((await fetch(`${server.url}style.css`)).status).toBe(200);
  });

  it('a login sets an HTTP-only SameSite cookie that opens the API; logout ends it', async () => {
    const response = await login('alice', PASSWORD);
    expect(response.status).toBe(303);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sp_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const cookie = setCookie.split(';')[0] as string;
    expect((await fetch(`${server.url}api/sales`, { headers: { cookie } })).status).toBe(200);
    await fetch(`${server.url}logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect((await fetch(`${server.url}api/sales`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${server.url}api/sales`, { headers: { cookie: 'sp_session=forged' } })).status).toBe(
      401,
    );
  });

  it('limits failed logins: the sixth in a minute gets 429 with Retry-After, even with the right password', async () => {
    const limited = await startHttpServer(new FakeHub(), {
      host: '127.0.0.1',
      port: 0,
      access: new DashboardAccess({ users, secureCookies: false }),
    });
    try {
      const attempt = (password: string) =>
        fetch(`${limited.url}login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ user: 'alice', password }).toString(),
        });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await attempt(`wrong ${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const blocked = await attempt(PASSWORD);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.headers.get('set-cookie')).toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('serves HTTPS with a certificate and key, the session cookie then Secure', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-dashboard-tls-'));
    const { cert, key } = selfSignedCertificate(dir);
    const tlsServer = await startHttpServer(new FakeHub(), {
      host: '127.0.0.1',
      port: 0,
      access: new DashboardAccess({ users, secureCookies: true }),
      tls: { cert, key },
    });
    try {
      expect(tlsServer.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const body = new URLSearchParams({ user: 'alice', password: PASSWORD }).toString();
      const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const request = https.request(
          `${tlsServer.url}login`,
          { method: 'POST', ca: cert, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
          (response) => {
            response.resume();
            resolve({
              status: response.statusCode ?? 0,
              cookie: String(response.headers['set-cookie'] ?? ''),
            });
          },
        );
        request.on('error', reject);
        request.end(body);
      });
      expect(answer.status).toBe(303);
      expect(answer.cookie).toMatch(/; Secure$/);
    } finally {
      await tlsServer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard beyond loopback', () => {
  const base = {
    DATABASE_READER_URL: 'postgres://sales_reader@127.0.0.1:5432/sales',
    DASHBOARD_HOST: '0.0.0.0',
  };

  it('does not start without authentication: a configuration error that says what to set', () => {
    expect(() => loadDashboardConfig(base)).toThrow(
      /DASHBOARD_HOST: 0\.0\.0\.0 is beyond loopback.*set DASHBOARD_USERS_FILE .* or DASHBOARD_TOKEN/,
    );
    expect(() => loadDashboardConfig({ ...base, DASHBOARD_TOKEN: 'short' })).toThrow(
      /DASHBOARD_TOKEN: must be at least 16/,
    );
    expect(loadDashboardConfig({ ...base, DASHBOARD_TOKEN: TOKEN }).token).toBe(TOKEN);
  });

  it('reads the users file, and names a line that is not user:hash', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-dashboard-users-'));
    const file = path.join(dir, 'users');
    fs.writeFileSync(file, `# who may log in\nalice:${users.get('alice')}\n\nbob:plaintext-password\n`);
    expect(() => loadDashboardConfig({ ...base, DASHBOARD_USERS_FILE: file })).toThrow(
      /DASHBOARD_USERS_FILE: line 4 is not "user:hash"/,
    );
    fs.writeFileSync(file, `alice:${users.get('alice')}\n`);
    expect([...loadDashboardConfig({ ...base, DASHBOARD_USERS_FILE: file }).users.keys()]).toEqual(['alice']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the command exits with code 2 and says so; hash-password makes a line the file takes', () => {
    const cli = path.join(REPO_ROOT, 'cli', 'bin', 'sales-pipeline.js');
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...base,
      KAFKA_BROKERS: '127.0.0.1:1',
      DATABASE_URL: base.DATABASE_READER_URL,
    };
    let refused: { status?: number; stderr?: string } = {};
    try {
      execFileSync(process.execPath, [cli, 'dashboard'], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
    } catch (error) {
      refused = error as typeof refused;
    }
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('DASHBOARD_HOST: 0.0.0.0 is beyond loopback');
    const line = execFileSync(process.execPath, [cli, 'dashboard', 'hash-password', 'carol'], {
      env,
      input: 'a long enough password',
      encoding: 'utf8',
    }).trim();
    expect(line).toMatch(/^carol:scrypt\$32768\$8\$1\$/);
    expect(line).not.toContain('a long enough password');
  }, 120_000);
});
