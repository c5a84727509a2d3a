import fs from 'node:fs';
import path from 'node:path';
import { StackError, type Logger } from '@sales-pipeline/platform';
import type { StackConfig } from './config.ts';
import { ensureChangeTopics } from './change-topics.ts';
import { ConnectNode } from './connect-node.ts';
import { connectorState, registerConnector } from './connector.ts';
import { isPortFree, reusePortOrPickFree } from './free-port.ts';
import { ensureJars, type JarCache } from './jar-cache.ts';
import { KafkaNode } from './kafka-node.ts';
import { runMigrations, setRolePasswords } from './migrate.ts';
import { DATABASE_NAME, PostgresNode, postgresUrl, roleUrls } from './postgres-node.ts';
import { checkPrerequisites, type Prerequisites } from './prerequisites.ts';
import { runCommand } from './processes.ts';
import { loadOrCreateCredentials, readState, writeState, type StackPorts } from './state.ts';
import type { ComponentHealth, StackCredentials, StackEndpoints, StackStatus } from './types.ts';

/** A running stack as the launcher hands it to callers (tests, `up`). */
export interface RunningStack {
  mode: 'native' | 'docker';
  endpoints: StackEndpoints;
  /** Connection URLs with passwords, for workers and tests in this process. Never print them. */
  secrets: { databaseUrl: string; readerDatabaseUrl: string; adminDatabaseUrl: string };
  /** Stops every component; the data stays for the next `up`. */
  down(): Promise<void>;
  /** Stops only the components this start started (those that ran before stay): undoes a failed `up`. */
  stopStarted(): Promise<void>;
}

function endpointsFor(ports: StackPorts): StackEndpoints {
  return {
    databaseUrl: postgresUrl('127.0.0.1', ports.postgres, 'sales_app'),
    kafkaBrokers: `127.0.0.1:${ports.kafka}`,
    connectUrl: `http://127.0.0.1:${ports.connect}`,
  };
}

interface Nodes {
  postgres: PostgresNode;
  kafka: KafkaNode;
  connect: ConnectNode;
}

function buildNodes(
  config: StackConfig,
  ports: StackPorts,
  credentials: StackCredentials,
  prerequisites: Prerequisites,
  jars: JarCache,
): Nodes {
  const common = { prerequisites, jars, heapMb: config.jvmHeapMb, startTimeoutMs: config.startTimeoutMs };
  const kafka = new KafkaNode({
    ...common,
    dir: path.join(config.home, 'kafka'),
    port: ports.kafka,
    controllerPort: ports.kafkaController,
  });
  return {
    postgres: new PostgresNode({
      dir: path.join(config.home, 'postgres'),
      port: ports.postgres,
      adminPassword: credentials.admin,
      prerequisites,
      startTimeoutMs: config.startTimeoutMs,
    }),
    kafka,
    connect: new ConnectNode({
      ...common,
      dir: path.join(config.home, 'connect'),
      port: ports.connect,
      brokers: kafka.brokers,
      baseEnv: config.childEnv,
      connectorEnv: {
        CDC_DATABASE_HOST: '127.0.0.1',
        CDC_DATABASE_PORT: String(ports.postgres),
        CDC_DATABASE_NAME: DATABASE_NAME,
        CDC_DATABASE_PASSWORD: credentials.cdc,
      },
    }),
  };
}

/** Nodes for an existing stack, for status and down; undefined when none was ever started here. */
function existingNodes(config: StackConfig): Nodes | undefined {
  const state = readState(config.home);
  if (!state) return undefined;
  const prerequisites = { java: 'java', mvn: 'mvn', pgBinDir: '', runuser: undefined };
  try {
    Object.assign(prerequisites, checkPrerequisites(config));
  } catch {
    // status and down must work even when a binary was uninstalled since
  }
  const jars = { libDir: '', pluginDir: '' };
  return buildNodes(config, state.ports, loadOrCreateCredentials(config.home), prerequisites, jars);
}

/**
 * Starts PostgreSQL, the Kafka broker and Kafka Connect as native processes on free loopback ports,
 * migrates the database and registers the Debezium connector. Idempotent: components already running
 * are reused, and a second `up` after `down` reuses the data. Returns once everything is healthy.
 */
export async function nativeUp(config: StackConfig, logger: Logger): Promise<RunningStack> {
  const log = logger.child({ module: 'native-stack' });
  const prerequisites = checkPrerequisites(config);
  fs.mkdirSync(config.home, { recursive: true });
  if (prerequisites.runuser) await ensurePostgresCanEnter(config.home, prerequisites.runuser);
  const jars = await ensureJars(config.cacheDir, prerequisites.mvn, () =>
    log.info(
      { cacheDir: config.cacheDir },
      'resolving Kafka and Debezium jars from Maven Central (first use only)',
    ),
  );

  const previous = readState(config.home)?.ports;
  const ports: StackPorts = {
    postgres: await reusePortOrPickFree(previous?.postgres),
    kafka: await reusePortOrPickFree(previous?.kafka),
    kafkaController: await reusePortOrPickFree(previous?.kafkaController),
    connect: await reusePortOrPickFree(previous?.connect),
  };
  // A component still running from an earlier `up` keeps its ports.
  const running = existingNodes(config);
  if (running?.postgres.pid() && previous) ports.postgres = previous.postgres;
  if (running?.kafka.pid() && previous)
    Object.assign(ports, { kafka: previous.kafka, kafkaController: previous.kafkaController });
  if (running?.connect.pid() && previous) ports.connect = previous.connect;
  writeState(config.home, { ports });

  const credentials = loadOrCreateCredentials(config.home);
  const nodes = buildNodes(config, ports, credentials, prerequisites, jars);
  const admin = nodes.postgres.adminConfig();
  // What this call starts, it stops again if the stack does not come up; what ran before stays.
  const started = NATIVE_COMPONENTS.filter((name) => nodes[name].pid() === undefined);
  const stopStarted = async () => {
    for (const name of ['connect', 'kafka', 'postgres'] as const) {
      if (!started.includes(name)) continue;
      await (name === 'postgres' ? nodes.postgres.stop() : nodes[name].stop(config.stopTimeoutMs)).catch(
        (error: unknown) => log.error({ err: error, component: name }, 'could not stop it'),
      );
    }
  };

  let failed = false;
  const database = (async () => {
    const since = Date.now();
    await nodes.postgres.init();
    await nodes.postgres.start();
    await nodes.postgres.ensureDatabase();
    await runMigrations(admin, logger);
    await setRolePasswords(admin, credentials);
    log.info({ port: ports.postgres, durationMs: Date.now() - since }, 'postgres ready');
  })();
  const broker = (async () => {
    const since = Date.now();
    await nodes.kafka.start();
    log.info({ brokers: nodes.kafka.brokers, durationMs: Date.now() - since }, 'kafka ready');
    const created = await ensureChangeTopics(nodes.kafka.brokers);
    if (created.length > 0) log.info({ topics: created }, 'change topics created');
    if (failed) return; // the database did not come up: start nothing more
    await nodes.connect.start();
    log.info({ url: nodes.connect.url, durationMs: Date.now() - since }, 'kafka connect ready');
  })();
  try {
    // Both halves run to their end (or first failure) before anything is decided: a failure of one
    // never leaves the other starting processes behind our back.
    const results = await Promise.allSettled([
      database.catch((error: unknown) => {
        failed = true;
        throw error;
      }),
      broker,
    ]);
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    await registerConnector(nodes.connect.url, { timeoutMs: config.startTimeoutMs });
  } catch (error) {
    if (started.length > 0)
      log.warn({ components: started }, 'the stack did not come up: stopping what this up started');
    await stopStarted();
    throw error;
  }
  log.info('debezium connector running');

  return {
    mode: 'native',
    endpoints: endpointsFor(ports),
    secrets: roleUrls('127.0.0.1', ports.postgres, credentials),
    down: () => nativeDown(config, logger),
    stopStarted,
  };
}

/** Stops Connect, then the broker, then PostgreSQL, each cleanly (SIGTERM / pg_ctl fast), killing what hangs. */
export async function nativeDown(config: StackConfig, logger: Logger): Promise<void> {
  const nodes = existingNodes(config);
  if (!nodes) return;
  const log = logger.child({ module: 'native-stack' });
  await nodes.connect.stop(config.stopTimeoutMs);
  log.info('kafka connect stopped');
  await nodes.kafka.stop(config.stopTimeoutMs);
  log.info('kafka stopped');
  await nodes.postgres.stop();
  log.info('postgres stopped');
}

async function probe(
  name: ComponentHealth['name'],
  pid: number | undefined,
  ping: () => Promise<unknown>,
): Promise<ComponentHealth> {
  if (pid === undefined) return { name, healthy: false, detail: 'not running' };
  try {
    const ok = await ping();
    return { name, healthy: ok === true, detail: ok === true ? 'healthy' : 'starting', pid };
  } catch (error) {
    return { name, healthy: false, detail: `not answering: ${(error as Error).message}`, pid };
  }
}

/** Health of each component and the endpoints, without starting anything. */
export async function nativeStatus(config: StackConfig): Promise<StackStatus> {
  const state = readState(config.home);
  const nodes = existingNodes(config);
  if (!state || !nodes)
    return { mode: 'none', home: config.home, endpoints: null, components: [], healthy: false };
  const connectPid = nodes.connect.pid();
  const components = await Promise.all([
    probe('postgres', nodes.postgres.pid(), () => nodes.postgres.ping()),
    probe('kafka', nodes.kafka.pid(), () => nodes.kafka.ping()),
    probe('connect', connectPid, () => nodes.connect.ping()),
  ]);
  let connector: ComponentHealth = { name: 'connector', healthy: false, detail: 'Connect is not running' };
  if (connectPid !== undefined) {
    try {
      const state = await connectorState(nodes.connect.url);
      const tasks = state.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ');
      connector = {
        name: 'connector',
        healthy: state.state === 'RUNNING' && state.tasks.every((t) => t.state === 'RUNNING'),
        detail: `${state.name} ${state.state}${tasks ? ` (${tasks})` : ''}`,
      };
    } catch (error) {
      connector = { name: 'connector', healthy: false, detail: (error as Error).message };
    }
  }
  components.push(connector);
  return {
    mode: 'native',
    home: config.home,
    endpoints: endpointsFor(state.ports),
    components,
    healthy: components.every((c) => c.healthy),
  };
}

/** Connection URLs with passwords of an existing native stack (for `stack env` and `migrate`). */
export function nativeSecrets(config: StackConfig): RunningStack['secrets'] | undefined {
  const state = readState(config.home);
  if (!state) return undefined;
  const credentials = loadOrCreateCredentials(config.home);
  return roleUrls('127.0.0.1', state.ports.postgres, credentials);
}

/** A native stack process that {@link nativeRestart} can restart on its own. */
export type NativeComponent = 'postgres' | 'kafka' | 'connect';

export const NATIVE_COMPONENTS: readonly NativeComponent[] = ['postgres', 'kafka', 'connect'];

/** The pid of one running component of the native stack (the postmaster, or the JVM), if it runs. */
export function nativeComponentPid(config: StackConfig, component: NativeComponent): number | undefined {
  return existingNodes(config)?.[component].pid();
}

/**
 * Restarts one component of the native stack, on the ports it already has, and returns once it is
 * healthy again: for failure tests and chaos runs, after a crash (`kill -9`) or to bounce a live one.
 * A live component is stopped cleanly first; a dead one is just started (PostgreSQL then runs its crash
 * recovery). Unlike {@link nativeUp} it never picks new ports — clients (the workers, Connect) keep the
 * endpoints they were given — and it neither migrates nor touches the other components. After Connect,
 * it waits until the Debezium connector and its task are RUNNING again (re-registering it is idempotent).
 */
export async function nativeRestart(
  config: StackConfig,
  logger: Logger,
  component: NativeComponent,
): Promise<void> {
  const log = logger.child({ module: 'native-stack' });
  const state = readState(config.home);
  if (!state) throw new StackError(`no native stack under ${config.home}`, { hint: 'Run `stack up` first.' });
  const prerequisites = checkPrerequisites(config);
  const jars =
    component === 'postgres'
      ? { libDir: '', pluginDir: '' }
      : await ensureJars(config.cacheDir, prerequisites.mvn);
  const nodes = buildNodes(config, state.ports, loadOrCreateCredentials(config.home), prerequisites, jars);
  const started = Date.now();
  if (component === 'postgres') {
    await nodes.postgres.stop();
    await ensurePortsFree('postgres', [state.ports.postgres]);
    await nodes.postgres.start();
  } else if (component === 'kafka') {
    await nodes.kafka.stop(config.stopTimeoutMs);
    await ensurePortsFree('kafka', [state.ports.kafka, state.ports.kafkaController]);
    await nodes.kafka.start();
  } else {
    await nodes.connect.stop(config.stopTimeoutMs);
    await ensurePortsFree('connect', [state.ports.connect]);
    await nodes.connect.start();
    await registerConnector(nodes.connect.url, { timeoutMs: config.startTimeoutMs });
  }
  log.info({ component, durationMs: Date.now() - started }, 'component restarted');
}

/** Waits (briefly) until the ports of a dead component can be bound again: another process took them otherwise. */
async function ensurePortsFree(component: NativeComponent, ports: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await isPortFree(port))) {
      if (Date.now() > deadline) {
        throw new StackError(`cannot restart ${component}: port ${port} is taken by another process`, {
          hint: 'Stop what listens there, or `stack down` and `stack up` (which picks new ports).',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Run as root, PostgreSQL runs as the `postgres` user, which must be able to enter the stack's home and
 * every directory above it (a `mktemp -d` directory is 0700: it cannot). Checked before anything starts,
 * naming the first directory it cannot enter and the fix.
 */
async function ensurePostgresCanEnter(home: string, runuser: string): Promise<void> {
  const canEnter = (dir: string) =>
    runCommand(runuser, ['-u', 'postgres', '--', 'test', '-x', dir]).then(
      () => true,
      () => false,
    );
  if (await canEnter(home)) return;
  const chain: string[] = [];
  for (let dir = path.resolve(home); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  let blocking = home;
  for (const dir of chain) {
    if (!(await canEnter(dir))) {
      blocking = dir;
      break;
    }
  }
  const mode = (fs.statSync(blocking).mode & 0o777).toString(8).padStart(4, '0');
  throw new StackError(
    `PostgreSQL runs as the postgres user (we run as root), who cannot enter ${blocking} (mode ${mode}); ` +
      `the stack's home is ${home}`,
    {
      hint:
        `Let it through (enter, not list) with: chmod o+x ${blocking}\n` +
        'or set SALES_PIPELINE_HOME to a directory it can reach (e.g. under /var/tmp).',
    },
  );
}
