import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { StackError } from '@sales-pipeline/platform';
import type { Prerequisites } from './prerequisites.ts';
import type { StackCredentials } from './types.ts';
import { isAlive, runCommand, waitFor } from './processes.ts';

/** The database every worker uses. */
export const DATABASE_NAME = 'sales';
/** The cluster's superuser: used only by the launcher and migrations. */
export const ADMIN_USER = 'postgres';

/**
 * A URL of the pipeline's database for one role; without a password when none is given. With a CA file
 * (a secured stack), TLS with the server's certificate and host checked against it:
 * `sslmode=verify-full&sslrootcert=<ca>`, as libpq, node-postgres and psql read it.
 */
export function postgresUrl(
  host: string,
  port: number,
  user: string,
  password?: string,
  caFile?: string,
): string {
  const url = new URL(`postgres://${host}:${port}/${DATABASE_NAME}`);
  url.username = user;
  if (password) url.password = password;
  if (caFile) {
    url.searchParams.set('sslmode', 'verify-full');
    url.searchParams.set('sslrootcert', caFile);
  }
  return url.toString();
}

/** The connection URLs, with passwords, of the three roles a worker or a test may use. */
export function roleUrls(host: string, port: number, credentials: StackCredentials, caFile?: string) {
  return {
    databaseUrl: postgresUrl(host, port, 'sales_app', credentials.app, caFile),
    readerDatabaseUrl: postgresUrl(host, port, 'sales_reader', credentials.reader, caFile),
    adminDatabaseUrl: postgresUrl(host, port, ADMIN_USER, credentials.admin, caFile),
  };
}

/** A secured cluster's TLS: its certificate and key (copied into the cluster's folder), and the CA clients check it with. */
export interface PostgresTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A secured cluster's client authentication: TCP only over TLS, with a password (SCRAM); anything else,
 * plaintext TCP included, matches no line and is refused ("no pg_hba.conf entry … no encryption").
 */
export const TLS_ONLY_HBA = [
  '# Written by sales-pipeline for a secured stack (up --secure): TCP only over TLS.',
  'local   all   all                  scram-sha-256',
  'hostssl all   all   127.0.0.1/32   scram-sha-256',
  'hostssl all   all   ::1/128        scram-sha-256',
  '',
].join('\n');

export interface PostgresNodeOptions {
  dir: string;
  port: number;
  adminPassword: string;
  prerequisites: Prerequisites;
  startTimeoutMs: number;
  /** A secured stack: TLS on, and TCP accepted only over it. */
  tls?: PostgresTls | undefined;
}

/** A throwaway PostgreSQL cluster made with `initdb`, with logical decoding on, listening on loopback only. */
export class PostgresNode {
  readonly dataDir: string;
  readonly runDir: string;
  readonly logFile: string;

  constructor(private readonly options: PostgresNodeOptions) {
    this.dataDir = path.join(options.dir, 'data');
    this.runDir = path.join(options.dir, 'run');
    this.logFile = path.join(options.dir, 'postgres.log');
  }

  private bin(name: string): string {
    return path.join(this.options.prerequisites.pgBinDir, name);
  }

  /** Runs a PostgreSQL program, as the `postgres` user when we are root (initdb and postgres refuse root). */
  private run(program: string, args: string[]) {
    const { runuser } = this.options.prerequisites;
    return runuser
      ? runCommand(runuser, ['-u', 'postgres', '--', this.bin(program), ...args])
      : runCommand(this.bin(program), args);
  }

  private chownToPostgres(target: string): Promise<unknown> {
    return this.options.prerequisites.runuser
      ? runCommand('chown', ['-R', 'postgres:postgres', target])
      : Promise.resolve();
  }

  get initialized(): boolean {
    return fs.existsSync(path.join(this.dataDir, 'PG_VERSION'));
  }

  /** Creates the cluster on first use; a later `up` reuses its data. */
  async init(): Promise<void> {
    if (this.initialized) return;
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(this.options.dir, '.initdb-pwfile');
    fs.writeFileSync(pwfile, `${this.options.adminPassword}\n`, { mode: 0o600 });
    try {
      await this.chownToPostgres(this.options.dir);
      await this.run('initdb', [
        '-U',
        ADMIN_USER,
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C',
        '-D',
        this.dataDir,
      ]);
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }

  /** The postmaster's pid, when it is running. */
  pid(): number | undefined {
    try {
      const pid = Number.parseInt(
        fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '',
        10,
      );
      return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A secured cluster's certificate and key in its own folder (the server runs as the `postgres` user when
   * we are root and insists on a key only its owner reads), and its pg_hba.conf TLS-only.
   */
  private prepareTls(tls: PostgresTls): string[] {
    const dir = path.join(this.options.dir, 'tls');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    fs.copyFileSync(tls.certFile, cert);
    fs.copyFileSync(tls.keyFile, key);
    fs.chmodSync(cert, 0o600);
    fs.chmodSync(key, 0o600);
    fs.writeFileSync(path.join(this.dataDir, 'pg_hba.conf'), TLS_ONLY_HBA, { mode: 0o600 });
    return ['-c ssl=on', `-c ssl_cert_file=${cert}`, `-c ssl_key_file=${key}`];
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    const tlsOptions = this.options.tls ? this.prepareTls(this.options.tls) : [];
    await this.chownToPostgres(this.options.dir);
    const serverOptions = [
      ...tlsOptions,
      '-c wal_level=logical',
      '-c max_wal_senders=10',
      '-c max_replication_slots=10',
      // commit time of every transaction (pg_xact_commit_timestamp): the latency benchmark reads when each
      // row was committed from it
      '-c track_commit_timestamp=on',
      '-c listen_addresses=127.0.0.1',
      `-p ${this.options.port}`,
      `-k ${this.runDir}`,
    ].join(' ');
    const timeoutS = Math.ceil(this.options.startTimeoutMs / 1000);
    try {
      await this.run('pg_ctl', [
        '-D',
        this.dataDir,
        '-l',
        this.logFile,
        '-w',
        '-t',
        String(timeoutS),
        '-o',
        serverOptions,
        'start',
      ]);
    } catch (error) {
      throw new StackError(`PostgreSQL did not start on port ${this.options.port}`, {
        hint: `See ${this.logFile}.`,
        cause: error,
      });
    }
    await waitFor('PostgreSQL', () => this.ping(), {
      timeoutMs: this.options.startTimeoutMs,
      hint: `See ${this.logFile}.`,
    });
  }

  /** Connection settings for the superuser on a database. */
  adminConfig(database = DATABASE_NAME): pg.ClientConfig {
    const { tls } = this.options;
    return {
      host: '127.0.0.1',
      port: this.options.port,
      user: ADMIN_USER,
      password: this.options.adminPassword,
      database,
      ...(tls ? { ssl: { ca: fs.readFileSync(tls.caFile, 'utf8') } } : {}),
    };
  }

  /** `true` once the server answers a query. */
  async ping(): Promise<true | undefined> {
    const client = new pg.Client({ ...this.adminConfig('postgres'), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Creates the pipeline's database if it does not exist yet. */
  async ensureDatabase(): Promise<void> {
    const client = new pg.Client(this.adminConfig('postgres'));
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        DATABASE_NAME,
      ]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
    // pg_ctl returns once postmaster.pid is gone, a moment before the postmaster itself exits.
    await waitFor('PostgreSQL to exit', async () => (isAlive(pid) ? undefined : true), {
      timeoutMs: 30_000,
      intervalMs: 20,
    });
  }
}
