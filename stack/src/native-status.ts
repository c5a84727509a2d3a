import type { StackConfig } from './config.ts';
import { connectorState } from './connector.ts';
import { endpointsFor, existingNodes } from './native-nodes.ts';
import { readState } from './state.ts';
import type { ComponentHealth, StackStatus } from './types.ts';

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
      const state = await connectorState(nodes.connect.url, undefined, nodes.connect.auth);
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
