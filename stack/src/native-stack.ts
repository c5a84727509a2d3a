import fs from 'node:fs';
import { StackError, type Logger } from '@sales-pipeline/platform';
import type { StackConfig } from './config.ts';
import { ensureChangeTopics } from './change-topics.ts';
import { reusePortOrPickFree } from './free-port.ts';
import { ensureJars } from './jar-cache.ts';
import { runMigrations, setRolePasswords } from './migrate.ts';
import { buildNodes, endpointsFor, existingNodes, NATIVE_COMPONENTS } from './native-nodes.ts';
import { ensurePostgresCanEnter } from './postgres-access.ts';
import { roleUrls } from './postgres-node.ts';
import { checkPrerequisites } from './prerequisites.ts';
import { loadOrCreateCredentials, readState, writeState, type StackPorts } from './state.ts';
import type { RunningStack } from './types.ts';
import { ensureTlsMaterial } from './tls-material.ts';

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

  const previousState = readState(config.home);
  const previous = previousState?.ports;
  // Secured or not is decided at the first start: a plain broker's storage has no SCRAM users.
  const secure = previousState ? previousState.secure === true : config.secure;
  if (previousState && config.secure && !secure)
    throw new StackError(`the stack under ${config.home} was started without --secure`, {
      hint: 'A secured stack starts from scratch: sales-pipeline down --purge, then up --secure.',
    });
  // Four different ports: two picked one after the other were once the same (Kafka refused to start).
  const taken = new Set<number>();
  const pick = async (preferred: number | undefined) => {
    const port = await reusePortOrPickFree(preferred, taken);
    taken.add(port);
    return port;
  };
  const ports: StackPorts = {
    postgres: await pick(previous?.postgres),
    kafka: await pick(previous?.kafka),
    kafkaController: await pick(previous?.kafkaController),
    connect: await pick(previous?.connect),
  };
  // A component still running from an earlier `up` keeps its ports.
  const running = existingNodes(config);
  if (running?.postgres.pid() && previous) ports.postgres = previous.postgres;
  if (running?.kafka.pid() && previous)
    Object.assign(ports, { kafka: previous.kafka, kafkaController: previous.kafkaController });
  if (running?.connect.pid() && previous) ports.connect = previous.connect;
  writeState(config.home, { ports, ...(secure ? { secure } : {}) });

  const credentials = loadOrCreateCredentials(config.home);
  const tls = secure
    ? await ensureTlsMaterial(config.home, {
        kafkaClient: credentials.kafkaClient as string,
        connect: credentials.connect as string,
      })
    : undefined;
  const nodes = buildNodes(config, ports, credentials, prerequisites, jars, tls);
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
    const created = await ensureChangeTopics(nodes.kafka.brokers, undefined, nodes.kafka.clientSecurity());
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
    await nodes.connect.registerCdcConnector(config.startTimeoutMs);
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
    secrets: roleUrls('127.0.0.1', ports.postgres, credentials, tls?.caFile),
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
