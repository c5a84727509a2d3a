import { Command } from 'commander';
import { positiveNumber } from '../options.ts';

/**
 * `sales-pipeline connector register|status`: the Debezium connector on a Kafka Connect cluster, the
 * native stack's or an existing one (CONNECT_URL, CONNECT_USERNAME, CONNECT_PASSWORD or its _FILE).
 */
export function connectorCommand(): Command {
  const connector = new Command('connector').description(
    "the Debezium connector (connectors/sales-postgres-cdc.json) on Kafka Connect: the native stack's, or CONNECT_URL",
  );

  /** The Connect cluster to talk to: CONNECT_URL and its login, else the native stack's. */
  const target = async () => {
    const [{ loadConnectorConfig }, stack, { StackError }] = await Promise.all([
      import('../config.ts'),
      import('@sales-pipeline/stack'),
      import('@sales-pipeline/platform'),
    ]);
    const config = loadConnectorConfig();
    if (config.url) return { ...config, url: config.url };
    const native = stack.nativeConnect(stack.loadStackConfig());
    if (!native)
      throw new StackError('no Kafka Connect to register on', {
        hint: 'Set CONNECT_URL (and CONNECT_USERNAME, CONNECT_PASSWORD) to your Connect cluster, or start the native stack: sales-pipeline stack up',
      });
    return { ...config, ...native, settings: { ...native.settings, ...config.settings } };
  };

  connector
    .command('register')
    .description(
      'create or update the connector (idempotent PUT) and wait until it and its task run; secrets stay ${env:…} references the Connect workers resolve',
    )
    .option('--timeout <seconds>', 'how long to wait for RUNNING (default 120)', positiveNumber('--timeout'))
    .action(async (options: { timeout?: number }) => {
      const { registerConnector } = await import('@sales-pipeline/stack');
      const { url, auth, settings } = await target();
      const state = await registerConnector(url, {
        timeoutMs: (options.timeout ?? 120) * 1000,
        auth,
        settings,
      });
      process.stdout.write(
        `connector ${state.name} ${state.state} on ${url} (${state.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ')})\n`,
      );
    });

  connector
    .command('status')
    .description('the connector and its tasks, as Connect reports them (exit code 1 unless all RUNNING)')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      const { connectorState } = await import('@sales-pipeline/stack');
      const { url, auth } = await target();
      const state = await connectorState(url, undefined, auth);
      const running =
        state.state === 'RUNNING' &&
        state.tasks.length > 0 &&
        state.tasks.every((t) => t.state === 'RUNNING');
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ url, ...state, tasks: state.tasks.map(({ id, state: s }) => ({ id, state: s })) }, null, 2)}\n`
          : `connector ${state.name} ${state.state} on ${url}${state.tasks.length ? ` (${state.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ')})` : ''}\n`,
      );
      if (!running) process.exitCode = 1;
    });

  return connector;
}
