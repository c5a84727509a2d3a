import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sales-pipeline/stack';
import { runCli } from '../../test-support/cli-processes.ts';
import { eventually } from '../../test-support/eventually.ts';
import { selfSignedCertificate } from '../../test-support/self-signed.ts';
import { ownPipelineEnv, ownPipelineHome } from '../../test-support/own-pipeline.ts';

/**
 * `stack up --secure`: a native stack whose broker takes only SASL_SSL with SCRAM-SHA-512 and the stack's
 * own CA, whose PostgreSQL takes TCP only over TLS, and whose Connect REST API wants a login. The workers run
 * apart from it with `up --external`, as against a production cluster: they know only what `stack env`
 * prints. The client files come out exact; a client without TLS, with a wrong password or an unknown CA is
 * refused; a worker with a wrong password stops at once saying so; no secret shows anywhere.
 */
const home = ownPipelineHome('test-secure');
const workersHome = ownPipelineHome('test-secure-workers');
const feeds = path.join(REPO_ROOT, '.stack', 'test-secure-feeds');
/** The stack's own commands (stack up, stack env, stack status). */
let stackCommandEnv: NodeJS.ProcessEnv;
/** The workers' and the CLI's: the endpoints and credentials `stack env` printed, and the feeds. */
let env: NodeJS.ProcessEnv;
let stackEnv: Record<string, string>;

/** `stack env`'s exports, as a map. */
function parseExports(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/^'|'$/g, ''),
    ]),
  );
}

beforeAll(async () => {
  for (const dir of [home, workersHome, feeds]) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(feeds, { recursive: true });
  for (const name of ['produits.csv', 'magasins.csv', 'ventes.csv'])
    fs.copyFileSync(path.join(REPO_ROOT, 'data', 'pme', name), path.join(feeds, name));
  stackCommandEnv = ownPipelineEnv(home);
  const stackUp = await runCli(['stack', 'up', '--secure'], stackCommandEnv, 600_000);
  expect(stackUp.code, `${stackUp.stdout}\n${stackUp.stderr}`).toBe(0);
  const printed = await runCli(['stack', 'env'], stackCommandEnv);
  expect(printed.code, printed.stderr).toBe(0);
  stackEnv = parseExports(printed.stdout);
  env = ownPipelineEnv(workersHome, {
    ...stackEnv,
    SALES_FEED: path.join(feeds, 'ventes.csv'),
    PRODUCTS_FEED: path.join(feeds, 'produits.csv'),
    STORES_FEED: path.join(feeds, 'magasins.csv'),
  });
  const up = await runCli(['up', '--external', '--detach'], env, 300_000);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
}, 900_000);

afterAll(async () => {
  await runCli(['down', '--purge'], env, 240_000);
  await runCli(['down', '--purge'], stackCommandEnv, 240_000);
  fs.rmSync(feeds, { recursive: true, force: true });
}, 500_000);

describe('a secured native stack (stack up --secure) and the workers beside it (up --external)', () => {
  it('stack env gives what a client needs: SASL_SSL, SCRAM-SHA-512, the password as a file (0600), the CA', () => {
    expect(stackEnv).toMatchObject({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'sales',
    });
    expect(stackEnv.KAFKA_SASL_PASSWORD).toBeUndefined();
    const passwordFile = stackEnv.KAFKA_SASL_PASSWORD_FILE as string;
    expect(fs.statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(passwordFile)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(stackEnv.KAFKA_SSL_CA_FILE as string, 'utf8')).toContain(
      '-----BEGIN CERTIFICATE-----',
    );
    // The broker's certificate is the stack CA's, for 127.0.0.1.
    const [host, port] = (stackEnv.KAFKA_BROKERS as string).split(':');
    const chain = execFileSync(
      'openssl',
      [
        's_client',
        '-connect',
        `${host}:${port}`,
        '-CAfile',
        stackEnv.KAFKA_SSL_CA_FILE as string,
        '-verify_ip',
        host as string,
      ],
      {
        input: '',
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    expect(chain).toContain('Verify return code: 0 (ok)');
  });

  it("stack env gives a database URL over TLS with the server checked (verify-full) and Connect's login as a file", async () => {
    for (const name of ['DATABASE_URL', 'DATABASE_READER_URL', 'DATABASE_ADMIN_URL']) {
      const url = new URL(stackEnv[name] as string);
      expect(url.searchParams.get('sslmode'), name).toBe('verify-full');
      expect(url.searchParams.get('sslrootcert'), name).toBe(stackEnv.KAFKA_SSL_CA_FILE);
    }
    expect(stackEnv.CONNECT_USERNAME).toBe('sales-pipeline');
    expect(stackEnv).toMatchObject({
      CDC_DATABASE_SSLMODE: 'verify-full',
      CDC_DATABASE_SSLROOTCERT: stackEnv.KAFKA_SSL_CA_FILE,
    });
    expect(stackEnv.CONNECT_PASSWORD).toBeUndefined();
    expect(fs.statSync(stackEnv.CONNECT_PASSWORD_FILE as string).mode & 0o777).toBe(0o600);
  });

  it('PostgreSQL takes TCP only over TLS: psql without it is refused, with it and the CA it is let in', () => {
    const url = new URL(stackEnv.DATABASE_URL as string);
    const psql = (sslmode: string, sslrootcert?: string) => {
      const target = new URL(url);
      target.search = '';
      target.searchParams.set('sslmode', sslmode);
      if (sslrootcert) target.searchParams.set('sslrootcert', sslrootcert);
      try {
        return execFileSync(
          'psql',
          [target.toString(), '-XAtc', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ).trim();
      } catch (error) {
        return `refused: ${String((error as { stderr?: string }).stderr)}`;
      }
    };
    expect(psql('disable')).toMatch(
      /refused: .*no pg_hba\.conf entry for host "127\.0\.0\.1".*no encryption/s,
    );
    expect(psql('verify-full', stackEnv.KAFKA_SSL_CA_FILE)).toBe('t');
    // A CA that is not the stack's: the server's certificate does not verify.
    const otherDir = path.join(feeds, 'other-ca');
    fs.mkdirSync(otherDir, { recursive: true });
    const otherCa = selfSignedCertificate(otherDir, '/CN=another CA').certFile;
    expect(psql('verify-full', otherCa)).toMatch(/refused: .*certificate verify failed/s);
  });

  it('a worker whose database refuses plaintext stops at once, exit code 2, naming the database and the cause', async () => {
    const url = new URL(stackEnv.DATABASE_URL as string);
    url.search = '?sslmode=disable';
    const result = await runCli(
      ['consume'],
      { ...env, ...stackEnv, DATABASE_URL: url.toString(), CONSUMER_GROUP: 'test-secure-plain-db' },
      120_000,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`127.0.0.1:${url.port}`);
    expect(result.stderr).toContain('no encryption');
    expect(result.stderr).not.toContain(decodeURIComponent(url.password));
  }, 180_000);

  it('Connect answers 401 without its login or with a wrong one; its connector config names the password, never holds it', async () => {
    const connectUrl = stackEnv.KAFKA_CONNECT_URL as string;
    const password = fs.readFileSync(stackEnv.CONNECT_PASSWORD_FILE as string, 'utf8');
    const basic = (user: string, secret: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
    });
    expect((await fetch(`${connectUrl}/connectors`)).status).toBe(401);
    expect(
      (await fetch(`${connectUrl}/connectors`, { headers: basic('sales-pipeline', 'wrong') })).status,
    ).toBe(401);
    const listed = await fetch(`${connectUrl}/connectors`, { headers: basic('sales-pipeline', password) });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toContain('sales-postgres-cdc');
    const config = (await (
      await fetch(`${connectUrl}/connectors/sales-postgres-cdc/config`, {
        headers: basic('sales-pipeline', password),
      })
    ).json()) as Record<string, string>;
    expect(config['database.password']).toBe('${env:CDC_DATABASE_PASSWORD}');
    expect(config['database.sslmode']).toBe('verify-full');
    const credentials = JSON.parse(fs.readFileSync(path.join(home, 'credentials.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(JSON.stringify(config)).not.toContain(credentials.cdc as string);
  });

  it('connector register / status work on a Connect with a login (CONNECT_URL and its credentials), and say a refused one', async () => {
    const external = { ...env, ...stackEnv, SALES_PIPELINE_HOME: path.join(feeds, 'no-stack-here') };
    const registered = await runCli(['connector', 'register'], external);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toMatch(
      /^connector sales-postgres-cdc RUNNING on http:\/\/127\.0\.0\.1:\d+ \(task 0 RUNNING\)$/m,
    );
    const status = await runCli(['connector', 'status', '--json'], external);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: 'RUNNING',
      tasks: [{ id: 0, state: 'RUNNING' }],
    });
    const refused = await runCli(['connector', 'status'], {
      ...external,
      CONNECT_PASSWORD_FILE: '',
      CONNECT_PASSWORD: 'not-the-password',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Kafka Connect at ${stackEnv.CONNECT_URL} answered 401: it refused the login of sales-pipeline`,
    );
    expect(refused.stderr).not.toContain('not-the-password');
    const without = await runCli(['connector', 'status'], {
      ...external,
      CONNECT_USERNAME: '',
      CONNECT_PASSWORD_FILE: '',
    });
    expect(without.stderr).toContain('answered 401: it requires a login');
  }, 120_000);

  it('runs the whole pipeline on it: the client files come out exact', async () => {
    const report = await eventually(
      () => runCli(['report', '--json'], env),
      (r) =>
        r.code === 0 &&
        (JSON.parse(r.stdout) as { revenue_total: { revenue: string } }).revenue_total.revenue === '5268.78',
      180_000,
    );
    const parsed = JSON.parse(report.stdout) as {
      revenue_total: { sales: number };
      by_region: Array<{ region: string; revenue: string }>;
    };
    expect(parsed.revenue_total.sales).toBe(30);
    expect(parsed.by_region.find((r) => r.region === 'Auvergne-Rhône-Alpes')?.revenue).toBe('1059.79');
    const status = await runCli(['status', '--json', '--sample', '200'], env);
    const s = JSON.parse(status.stdout) as { healthy: boolean; connector: { state: string } | null };
    expect(s.connector?.state).toBe('RUNNING');
    expect(status.stdout).not.toContain(fs.readFileSync(stackEnv.KAFKA_SASL_PASSWORD_FILE as string, 'utf8'));
  }, 240_000);

  it('no secret on any command line, in any log, in status, stack status, connector status or on the dashboard', async () => {
    const credentials = JSON.parse(fs.readFileSync(path.join(home, 'credentials.json'), 'utf8')) as Record<
      string,
      string
    >;
    const secrets = Object.entries(credentials);
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const places: Array<[string, string]> = [];
    for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        places.push([`ps ${pid}`, fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')]);
      } catch {
        // gone meanwhile
      }
    }
    const logs = [home, workersHome].flatMap((dir) =>
      (fs.readdirSync(dir, { recursive: true }) as string[])
        .filter((file) => file.endsWith('.log'))
        .map((file) => path.join(dir, file)),
    );
    expect(logs.length).toBeGreaterThanOrEqual(8);
    for (const file of logs) places.push([file, fs.readFileSync(file, 'utf8')]);
    for (const [args, commandEnv] of [
      [['status', '--json', '--sample', '200'], env],
      [['status', '--sample', '200'], env],
      [['stack', 'status', '--json'], stackCommandEnv],
      [['connector', 'status', '--json'], env],
    ] as const) {
      const result = await runCli([...args], commandEnv);
      places.push([args.join(' '), result.stdout + result.stderr]);
    }
    // The dashboard's page and API (it reads the pipeline's status through the reader role).
    const status = JSON.parse((await runCli(['status', '--json', '--sample', '200'], env)).stdout) as {
      dashboard?: { url: string } | null;
    };
    expect(status.dashboard?.url).toBeDefined();
    for (const route of ['', 'api/pipeline', 'api/sources', 'api/sales'])
      places.push([`dashboard /${route}`, await (await fetch(`${status.dashboard?.url}${route}`)).text()]);
    const leaks = places.flatMap(([where, text]) =>
      secrets.filter(([, secret]) => text.includes(secret)).map(([name]) => `${name} in ${where}`),
    );
    expect(leaks).toEqual([]);
  }, 120_000);

  it('refuses a client without TLS, or that does not know the CA', async () => {
    const brokers = [stackEnv.KAFKA_BROKERS as string];
    const ca = fs.readFileSync(stackEnv.KAFKA_SSL_CA_FILE as string, 'utf8');
    const password = fs.readFileSync(stackEnv.KAFKA_SASL_PASSWORD_FILE as string, 'utf8');
    const connect = async (config: Partial<ConstructorParameters<typeof Kafka>[0]>) => {
      const admin = new Kafka({
        clientId: 'test-secure',
        brokers: [...brokers],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3000,
        authenticationTimeout: 3000,
        retry: { retries: 0 },
        ...config,
      }).admin();
      try {
        await admin.connect();
        return (await admin.listTopics()).length;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    };
    const sasl = { mechanism: 'scram-sha-512' as const, username: 'sales', password };
    const outcome = (config: Parameters<typeof connect>[0]) =>
      connect(config).then(
        (topics) => `listed ${topics} topics`,
        (error: Error) => `${error.name}: ${error.message}`,
      );
    const outcomes = {
      good: await outcome({ ssl: { ca }, sasl }),
      plaintext: await outcome({}),
      unknownCa: await outcome({ ssl: true, sasl }),
    };
    expect(outcomes.good, JSON.stringify(outcomes)).toMatch(/^listed \d+ topics$/);
    expect(outcomes.plaintext, JSON.stringify(outcomes)).toMatch(
      /^KafkaJS\w+: (Closed connection|Connection error)/,
    );
    expect(outcomes.unknownCa, JSON.stringify(outcomes)).toMatch(/unable to verify the first certificate/);
    // A wrong password: the next test (a worker, in a process of its own).
  });

  it('a worker with a wrong password stops at once, exit code 2 (not restarted), naming the broker and the cause', async () => {
    const started = Date.now();
    const result = await runCli(
      ['consume'],
      {
        ...env,
        ...stackEnv,
        KAFKA_SASL_PASSWORD_FILE: '',
        KAFKA_SASL_PASSWORD: 'wrong-password-123',
        CONSUMER_GROUP: 'test-secure-wrong',
      },
      120_000,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.stderr).toContain(stackEnv.KAFKA_BROKERS as string);
    expect(result.stderr).toContain('refused the credentials');
    expect(result.stderr).not.toContain('wrong-password-123');
    // And a SASL setting without its password is a configuration error, before any connection.
    const missing = await runCli(['consume'], { ...env, ...stackEnv, KAFKA_SASL_PASSWORD_FILE: '' }, 60_000);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('KAFKA_SASL_PASSWORD: is required with SASL_SSL');
  }, 180_000);
});
