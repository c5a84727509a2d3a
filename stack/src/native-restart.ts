import { StackError, type Logger } from '@sales-pipeline/platform';
import type { StackConfig } from './config.ts';
import { isPortFree } from './free-port.ts';
import { ensureJars } from './jar-cache.ts';
import { stateNodes, type NativeComponent } from './native-nodes.ts';
import { checkPrerequisites } from './prerequisites.ts';
import { waitFor } from './processes.ts';
import { readState } from './state.ts';

/**
 * Restarts one component of the native stack, on the ports it already has, and returns once it is
 * healthy again: for failure tests and chaos runs, after a crash (`kill -9`) or to bounce a live one.
 * A live component is stopped cleanly first; a dead one is just started (PostgreSQL then runs its crash
 * recovery). Unlike `nativeUp` it never picks new ports — clients (the workers, Connect) keep the
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
  const nodes = stateNodes(config, state, prerequisites, jars);
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
    await nodes.connect.registerCdcConnector(config.startTimeoutMs);
  }
  log.info({ component, durationMs: Date.now() - started }, 'component restarted');
}

/** Waits (briefly) until the ports of a dead component can be bound again: another process took them otherwise. */
async function ensurePortsFree(component: NativeComponent, ports: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    await waitFor(`port ${port}`, async () => ((await isPortFree(port)) ? true : undefined), {
      timeoutMs: Math.max(0, deadline - Date.now()),
      intervalMs: 200,
    }).catch((error: unknown) => {
      throw new StackError(`cannot restart ${component}: port ${port} is taken by another process`, {
        hint: 'Stop what listens there, or `stack down` and `stack up` (which picks new ports).',
        cause: error,
      });
    });
  }
}
