import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { connectAuth, connectAuthHeaders, kafkaSecurity } from '@sales-pipeline/platform';
import { DEBEZIUM_POSTGRES_CLASS } from './connect-node.ts';
import { connectorState } from './connector.ts';
import type { ComponentHealth, StackEndpoints, StackStatus } from './types.ts';

/**
 * Whether a PostgreSQL server accepts connections at host:port, as `pg_isready` tells it: a startup
 * message without a password; a server that asks to authenticate is up (the probe then hangs up), one
 * that answers with an error (starting up, shutting down, too many clients) is not. Needs no password.
 */
export function postgresAnswers(
  host: string,
  port: number,
  user: string,
  database: string,
  timeoutMs = 2000,
  /** A server reached over TLS (the URL's sslmode): asked whether it takes TLS, which it answers before any login. */
  tls = false,
): Promise<true> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      if (tls) {
        const request = Buffer.alloc(8);
        request.writeInt32BE(8, 0);
        request.writeInt32BE(80_877_103, 4); // SSLRequest
        socket.write(request);
        return;
      }
      const params = Buffer.from(
        `user\0${user}\0database\0${database}\0application_name\0sales-pipeline-status\0\0`,
      );
      const header = Buffer.alloc(8);
      header.writeInt32BE(8 + params.length, 0);
      header.writeInt32BE(196_608, 4); // protocol 3.0
      socket.write(Buffer.concat([header, params]));
    });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const type = String.fromCharCode(received[0] ?? 0);
      if (tls) {
        socket.destroy();
        if (type === 'S') resolve(true);
        else
          fail(
            new Error(
              type === 'N'
                ? 'the server does not take TLS, which the URL requires'
                : `not a PostgreSQL server (answered ${JSON.stringify(type)})`,
            ),
          );
        return;
      }
      if (type === 'R') {
        socket.destroy();
        resolve(true);
      } else if (type === 'E') {
        if (received.length < 5 || received.length < 1 + received.readInt32BE(1)) return;
        // Error fields: a type byte, a NUL-terminated string; 'M' is the message.
        const fields = received
          .subarray(5, 1 + received.readInt32BE(1))
          .toString('utf8')
          .split('\0');
        const message = fields.find((f) => f.startsWith('M'))?.slice(1) ?? 'an error';
        fail(new Error(message));
      } else {
        fail(new Error(`not a PostgreSQL server (answered ${JSON.stringify(type)})`));
      }
    });
  });
}

async function check(name: ComponentHealth['name'], ping: () => Promise<string>): Promise<ComponentHealth> {
  try {
    return { name, healthy: true, detail: await ping() };
  } catch (error) {
    return { name, healthy: false, detail: `not answering: ${(error as Error).message}` };
  }
}

/**
 * Health of a stack known only by its endpoints (the Docker stack that `up --docker` recorded): PostgreSQL
 * answers, the Kafka API serves metadata, Connect's REST API lists the Debezium plugin, the connector runs.
 * Reads no password and loads no container library.
 */
export async function endpointStatus(
  mode: StackStatus['mode'],
  home: string,
  endpoints: StackEndpoints,
): Promise<StackStatus> {
  const db = new URL(endpoints.databaseUrl);
  const components = await Promise.all([
    check('postgres', async () => {
      await postgresAnswers(
        db.hostname,
        Number(db.port || 5432),
        decodeURIComponent(db.username),
        db.pathname.slice(1),
        2000,
        !['disable', 'allow', null].includes(db.searchParams.get('sslmode')),
      );
      return `healthy (${db.host})`;
    }),
    check('kafka', async () => {
      const admin = new Kafka({
        // An external cluster's credentials (KAFKA_SECURITY_PROTOCOL, …), as every client of the project.
        ...kafkaSecurity(),
        clientId: 'stack-health',
        brokers: endpoints.kafkaBrokers.split(','),
        logLevel: logLevel.NOTHING,
        connectionTimeout: 2000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length === 0) throw new Error('no broker in the metadata');
        return `healthy (${cluster.brokers.length} broker${cluster.brokers.length > 1 ? 's' : ''})`;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }),
    check('connect', async () => {
      const response = await fetch(`${endpoints.connectUrl}/connector-plugins`, {
        headers: connectAuthHeaders(connectAuth()),
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      const plugins = (await response.json()) as Array<{ class: string }>;
      if (!plugins.some((p) => p.class === DEBEZIUM_POSTGRES_CLASS))
        throw new Error(`does not list ${DEBEZIUM_POSTGRES_CLASS}`);
      return 'healthy';
    }),
  ]);
  let connector: ComponentHealth = { name: 'connector', healthy: false, detail: 'Connect is not answering' };
  if (components[2]?.healthy) {
    try {
      const state = await connectorState(endpoints.connectUrl);
      const tasks = state.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ');
      connector = {
        name: 'connector',
        healthy:
          state.state === 'RUNNING' &&
          state.tasks.length > 0 &&
          state.tasks.every((t) => t.state === 'RUNNING'),
        detail: `${state.name} ${state.state}${tasks ? ` (${tasks})` : ''}`,
      };
    } catch (error) {
      connector = { name: 'connector', healthy: false, detail: (error as Error).message };
    }
  }
  components.push(connector);
  return { mode, home, endpoints, components, healthy: components.every((c) => c.healthy) };
}
