import {
  connectorState,
  endpointStatus,
  nativeStatus,
  type StackConfig,
  type StackStatus,
} from '@sales-pipeline/stack';
import type { PipelineState } from './pipeline-state.ts';
import type { PipelineStatus } from './status-types.ts';

/** The stack the pipeline runs on: a Docker stack is known by the endpoints `up --docker` recorded. */
export function readStackStatus(config: StackConfig, state: PipelineState | undefined): Promise<StackStatus> {
  return (state?.mode === 'docker' || state?.mode === 'external') && state.endpoints
    ? endpointStatus(state.mode, config.home, state.endpoints)
    : nativeStatus(config);
}

/** The Debezium connector and its tasks, as Kafka Connect reports them; null (and said in `errors`) if it cannot. */
export async function readConnector(
  connectUrl: string,
  errors: string[],
): Promise<PipelineStatus['connector']> {
  try {
    const c = await connectorState(connectUrl);
    return { name: c.name, state: c.state, tasks: c.tasks.map((t) => ({ id: t.id, state: t.state })) };
  } catch (error) {
    errors.push(`connector: ${(error as Error).message}`);
    return null;
  }
}
