import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sales-pipeline/stack';
import { runCli } from '../../test-support/cli-processes.ts';
import { eventually } from '../../test-support/eventually.ts';
import { ownPipelineEnv, ownPipelineHome } from '../../test-support/own-pipeline.ts';

/**
 * `up --secure`: a native stack whose broker takes only SASL_SSL with SCRAM-SHA-512 and the stack's own
 * CA; every client of the project (the workers, Connect, the stack's own, the CLI) logs in with what `stack
 * env` prints, and the client files come out exact. A client without TLS, with a wrong password or an
 * unknown CA is refused, and a worker with a wrong password stops at once with a message that says so.
 */
const home = ownPipelineHome('test-secure');
const feeds = path.join(REPO_ROOT, '.stack', 'test-secure-feeds');
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
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(feeds, { recursive: true, force: true });
  fs.mkdirSync(feeds, { recursive: true });
  for (const name of ['produits.csv', 'magasins.csv', 'ventes.csv'])
    fs.copyFileSync(path.join(REPO_ROOT, 'data', 'pme', name), path.join(feeds, name));
  env = ownPipelineEnv(home, {
    SALES_FEED: path.join(feeds, 'ventes.csv'),
    PRODUCTS_FEED: path.join(feeds, 'produits.csv'),
    STORES_FEED: path.join(feeds, 'magasins.csv'),
  });
  const up = await runCli(['up', '--secure', '--detach'], env, 600_000);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
  const printed = await runCli(['stack', 'env'], env);
  expect(printed.code, printed.stderr).toBe(0);
  stackEnv = parseExports(printed.stdout);
}, 660_000);

afterAll(async () => {
  await runCli(['down', '--purge'], env, 240_000);
  fs.rmSync(feeds, { recursive: true, force: true });
}, 300_000);

describe('a secured native stack (up --secure)', () => {
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
