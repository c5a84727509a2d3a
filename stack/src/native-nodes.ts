import path from 'node:path';
import type { ConnectAuth } from '@sales-pipeline/platform';
import type { StackConfig } from './config.ts';
import { ConnectNode } from './connect-node.ts';
import type { JarCache } from './jar-cache.ts';
import { KAFKA_CLIENT_USER, KafkaNode } from './kafka-node.ts';
import { CONNECT_USER, existingTlsMaterial, type TlsMaterial } from './tls-material.ts';
import { DATABASE_NAME, PostgresNode, postgresUrl, roleUrls } from './postgres-node.ts';
import { checkPrerequisites, type Prerequisites } from './prerequisites.ts';
import { loadOrCreateCredentials, readState, type StackPorts, type StackState } from './state.ts';
import type { RunningStack, StackCredentials, StackEndpoints } from './types.ts';

/** A native stack process that `nativeRestart` can restart on its own. */
export type NativeComponent = 'postgres' | 'kafka' | 'connect';

export const NATIVE_COMPONENTS: readonly NativeComponent[] = ['postgres', 'kafka', 'connect'];

/** The three processes of the native stack, on their ports under the stack's home. */
export interface Nodes {
  postgres: PostgresNode;
  kafka: KafkaNode;
  connect: ConnectNode;
}

/** Where the native stack on these ports is reached (no password). Pure. */
export function endpointsFor(ports: StackPorts): StackEndpoints {
  return {
    databaseUrl: postgresUrl('127.0.0.1', ports.postgres, 'sales_app'),
    kafkaBrokers: `127.0.0.1:${ports.kafka}`,
    connectUrl: `http://127.0.0.1:${ports.connect}`,
  };
}

export function buildNodes(
  config: StackConfig,
  ports: StackPorts,
  credentials: StackCredentials,
  prerequisites: Prerequisites,
  jars: JarCache,
  tls?: TlsMaterial,
): Nodes {
  const common = { prerequisites, jars, heapMb: config.jvmHeapMb, startTimeoutMs: config.startTimeoutMs };
  const secure =
    tls && credentials.kafkaAdmin && credentials.kafkaClient
      ? { material: tls, adminPassword: credentials.kafkaAdmin, clientPassword: credentials.kafkaClient }
      : undefined;
  const kafka = new KafkaNode({
    ...common,
    dir: path.join(config.home, 'kafka'),
    port: ports.kafka,
    controllerPort: ports.kafkaController,
    secure,
  });
  return {
    postgres: new PostgresNode({
      dir: path.join(config.home, 'postgres'),
      port: ports.postgres,
      adminPassword: credentials.admin,
      prerequisites,
      startTimeoutMs: config.startTimeoutMs,
      tls: tls ? { caFile: tls.caFile, certFile: tls.serverCertFile, keyFile: tls.serverKeyFile } : undefined,
    }),
    kafka,
    connect: new ConnectNode({
      ...common,
      dir: path.join(config.home, 'connect'),
      port: ports.connect,
      brokers: kafka.brokers,
      baseEnv: config.childEnv,
      kafkaClient: secure
        ? { caFile: secure.material.caFile, username: KAFKA_CLIENT_USER, password: secure.clientPassword }
        : undefined,
      restAuth:
        secure && credentials.connect ? { username: CONNECT_USER, password: credentials.connect } : undefined,
      databaseCaFile: secure?.material.caFile,
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
export function existingNodes(config: StackConfig): Nodes | undefined {
  const state = readState(config.home);
  if (!state) return undefined;
  const prerequisites = { java: 'java', mvn: 'mvn', pgBinDir: '', runuser: undefined };
  try {
    Object.assign(prerequisites, checkPrerequisites(config));
  } catch {
    // status and down must work even when a binary was uninstalled since
  }
  return stateNodes(config, state, prerequisites, { libDir: '', pluginDir: '' });
}

/** The nodes of the stack `state` describes: its ports, its credentials, its TLS when it was started secured. */
export function stateNodes(
  config: StackConfig,
  state: StackState,
  prerequisites: Prerequisites,
  jars: JarCache,
): Nodes {
  return buildNodes(
    config,
    state.ports,
    loadOrCreateCredentials(config.home),
    prerequisites,
    jars,
    state.secure ? existingTlsMaterial(config.home) : undefined,
  );
}

/**
 * What a client of this native stack needs besides its URLs, as environment variables: nothing for a plain
 * stack; for a secured one, the broker's SASL_SSL with SCRAM-SHA-512, the user, the password's file (0600)
 * and the stack's CA (every Kafka client of the project reads them: {@link kafkaSecurity}), Connect's
 * login (CONNECT_USERNAME, CONNECT_PASSWORD_FILE) and the connector's database TLS (CDC_DATABASE_SSL*). The database's TLS is in its URLs ({@link nativeSecrets}).
 */
export function nativeClientEnv(config: StackConfig): Record<string, string> {
  const state = readState(config.home);
  if (!state?.secure) return {};
  const tls = existingTlsMaterial(config.home);
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: KAFKA_CLIENT_USER,
    KAFKA_SASL_PASSWORD_FILE: tls.kafkaPasswordFile,
    KAFKA_SSL_CA_FILE: tls.caFile,
    CONNECT_USERNAME: CONNECT_USER,
    CONNECT_PASSWORD_FILE: tls.connectPasswordFile,
    // What `connector register` (and `up --external`) give Debezium: its database connection over TLS too.
    CDC_DATABASE_SSLMODE: 'verify-full',
    CDC_DATABASE_SSLROOTCERT: tls.caFile,
  };
}

/**
 * Connection URLs with passwords of an existing native stack (for `stack env` and `migrate`); a secured
 * stack's with `sslmode=verify-full` and its CA.
 */
export function nativeSecrets(config: StackConfig): RunningStack['secrets'] | undefined {
  const state = readState(config.home);
  if (!state) return undefined;
  const credentials = loadOrCreateCredentials(config.home);
  const caFile = state.secure ? existingTlsMaterial(config.home).caFile : undefined;
  return roleUrls('127.0.0.1', state.ports.postgres, credentials, caFile);
}

/** The pid of one running component of the native stack (the postmaster, or the JVM), if it runs. */
export function nativeComponentPid(config: StackConfig, component: NativeComponent): number | undefined {
  return existingNodes(config)?.[component].pid();
}

/**
 * The native stack's Connect as `connector register` needs it: its URL, its login (a secured stack's) and
 * the connector's database TLS settings; undefined when no native stack was started here.
 */
export function nativeConnect(
  config: StackConfig,
): { url: string; auth: ConnectAuth | undefined; settings: Record<string, string> } | undefined {
  const nodes = existingNodes(config);
  if (!nodes) return undefined;
  return { url: nodes.connect.url, auth: nodes.connect.auth, settings: nodes.connect.cdcSettings() };
}
