import { connectAuthHeaders, type ConnectAuth } from './connect-auth.ts';
import { StackError } from './errors.ts';

/** A connector and its tasks as Connect's `GET /connectors/<name>/status` gives them. */
export interface ConnectorState {
  name: string;
  /** RUNNING, PAUSED, FAILED, UNASSIGNED, RESTARTING, or MISSING when Connect does not know it. */
  state: string;
  tasks: Array<{ id: number; state: string; trace?: string }>;
}

/** Connect refused the login (401/403): retrying will not help. */
export class ConnectAuthError extends StackError {}

/** A 401 or 403 from Connect as an error naming the endpoint and what to set. */
export function connectRefused(
  connectUrl: string,
  status: number,
  auth: ConnectAuth | undefined,
): ConnectAuthError {
  return new ConnectAuthError(
    `Kafka Connect at ${connectUrl} answered ${status}: ${auth ? `it refused the login of ${auth.username}` : 'it requires a login'}`,
    {
      hint: 'Set CONNECT_USERNAME and CONNECT_PASSWORD (or CONNECT_PASSWORD_FILE) to a user of its REST API.',
    },
  );
}

/**
 * The state of connector `name` and its tasks, as Connect at `connectUrl` reports it, with `auth` as the
 * REST API's login. `signal` ends the request (default: after 5 s).
 */
export async function readConnectorState(
  connectUrl: string,
  name: string,
  auth: ConnectAuth | undefined,
  signal: AbortSignal = AbortSignal.timeout(5000),
): Promise<ConnectorState> {
  const response = await fetch(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`, {
    headers: connectAuthHeaders(auth),
    signal,
  });
  if (!response.ok) await response.body?.cancel();
  if (response.status === 401 || response.status === 403)
    throw connectRefused(connectUrl, response.status, auth);
  if (response.status === 404) return { name, state: 'MISSING', tasks: [] };
  if (!response.ok)
    throw new StackError(`Kafka Connect at ${connectUrl} answered ${response.status} for ${name}'s status`);
  const body = (await response.json()) as {
    connector: { state: string };
    tasks: Array<{ id: number; state: string; trace?: string }>;
  };
  return { name, state: body.connector.state, tasks: body.tasks };
}
