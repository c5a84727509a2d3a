import fs from 'node:fs';
import path from 'node:path';
import {
  connectAuth,
  connectAuthHeaders,
  ConnectAuthError,
  connectRefused,
  readConnectorState,
  StackError,
  type ConnectAuth,
  type ConnectorState,
} from '@sales-pipeline/platform';
import { REPO_ROOT } from './config.ts';
import { waitFor } from './processes.ts';

/** The Debezium source connector's name; its config is `connectors/<name>.json`. */
export const CDC_CONNECTOR_NAME = 'sales-postgres-cdc';
/** Topic prefix of the change events: `cdc.public.sales`, `cdc.public.products`, … */
export const CDC_TOPIC_PREFIX = 'cdc';
/** Replication slot the connector reads; watch its lag in `pg_replication_slots`. */
export const CDC_SLOT_NAME = 'sales_pipeline_cdc';

/** The connector or one of its tasks is FAILED: waiting will not make it RUNNING. */
export class ConnectorFailedError extends StackError {}

/** The connector's config exactly as shipped in `connectors/`. */
export function readConnectorConfig(name = CDC_CONNECTOR_NAME): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'connectors', `${name}.json`), 'utf8')) as Record<
    string,
    string
  >;
}

/**
 * Current state of a connector and its tasks, as Connect reports it. `auth`: the REST API's login
 * (default: CONNECT_USERNAME / CONNECT_PASSWORD from the environment, none when unset).
 */
export function connectorState(
  connectUrl: string,
  name = CDC_CONNECTOR_NAME,
  auth: ConnectAuth | undefined = connectAuth(),
): Promise<ConnectorState> {
  return readConnectorState(connectUrl, name, auth);
}

/**
 * Registers (or updates) the connector with an idempotent `PUT /connectors/<name>/config`, then waits
 * until the connector and its task are RUNNING. A FAILED task fails at once with its trace's first line.
 * `settings` are added to the shipped config (a secured database's `database.sslmode`, say: never a
 * secret, which the config names as `${env:…}` for Connect's config provider); `auth` is the REST API's login.
 */
export async function registerConnector(
  connectUrl: string,
  options: {
    name?: string;
    timeoutMs: number;
    settings?: Record<string, string> | undefined;
    auth?: ConnectAuth | undefined;
  },
): Promise<ConnectorState> {
  const name = options.name ?? CDC_CONNECTOR_NAME;
  const auth = 'auth' in options ? options.auth : connectAuth();
  const response = await fetch(`${connectUrl}/connectors/${encodeURIComponent(name)}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...connectAuthHeaders(auth) },
    body: JSON.stringify({ ...readConnectorConfig(name), ...options.settings }),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status === 401 || response.status === 403)
    throw connectRefused(connectUrl, response.status, auth);
  if (!response.ok) {
    throw new StackError(`Connect refused connector ${name}: ${response.status} ${await response.text()}`, {
      hint: 'Check connectors/*.json and the Connect log.',
    });
  }
  return waitFor(
    `connector ${name}`,
    async () => {
      const state = await connectorState(connectUrl, name, auth);
      const failed = state.tasks.find((task) => task.state === 'FAILED');
      if (state.state === 'FAILED' || failed) {
        const trace = (failed?.trace ?? '').split('\n')[0];
        throw new ConnectorFailedError(`connector ${name} FAILED: ${trace}`, {
          hint: 'See the Connect log.',
        });
      }
      return state.state === 'RUNNING' &&
        state.tasks.length > 0 &&
        state.tasks.every((t) => t.state === 'RUNNING')
        ? state
        : undefined;
    },
    {
      timeoutMs: options.timeoutMs,
      intervalMs: 500,
      hint: 'See the Connect log.',
      isFatal: (error) => error instanceof ConnectorFailedError || error instanceof ConnectAuthError,
    },
  );
}
