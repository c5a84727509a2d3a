import { Command } from 'commander';
import { positiveNumber } from '../options.ts';

/** Standard input, whole (a password piped in or typed, never an argument: `ps` shows arguments). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `sales-pipeline dashboard hash-password <user>`: a DASHBOARD_USERS_FILE line for a password read from stdin. */
function hashPasswordCommand(): Command {
  return new Command('hash-password')
    .description(
      'print a DASHBOARD_USERS_FILE line ("user:hash", scrypt) for the password read from standard input: ' +
        'read -rs p && printf %s "$p" | sales-pipeline dashboard hash-password alice >> users',
    )
    .argument('<user>', 'the user name (no colon)')
    .action(async (user: string) => {
      if (user.includes(':') || user.trim() !== user || user === '') {
        process.stderr.write('sales-pipeline: a user name has no colon and no surrounding spaces\n');
        process.exitCode = 2;
        return;
      }
      const password = await readStdin();
      if (password.length < 12) {
        process.stderr.write(
          'sales-pipeline: the password (from standard input) must be at least 12 characters\n',
        );
        process.exitCode = 2;
        return;
      }
      const { hashPassword } = await import('@sales-pipeline/dashboard');
      process.stdout.write(`${user}:${await hashPassword(password)}\n`);
    });
}

/** `sales-pipeline dashboard [--port N]`: the live web dashboard (also started by `up`). */
export function dashboardCommand(): Command {
  return new Command('dashboard')
    .addCommand(hashPasswordCommand())
    .description(
      'serve the live web dashboard of the sales and the pipeline (http://127.0.0.1:8090/; DASHBOARD_HOST, ' +
        'DASHBOARD_PORT), read through the read-only reporting role; runs until stopped (up starts it too)',
    )
    .option(
      '--port <n>',
      'the port to listen on (default DASHBOARD_PORT, else 8090)',
      positiveNumber('--port'),
    )
    .action(async (options: { port?: number }) => {
      const [
        dashboard,
        { createLogger },
        { loadStackConfig },
        { envWithStackDefaults },
        status,
        dlq,
        signals,
      ] = await Promise.all([
        import('@sales-pipeline/dashboard'),
        import('@sales-pipeline/platform'),
        import('@sales-pipeline/stack'),
        import('../config.ts'),
        import('../pipeline/pipeline-status.ts'),
        import('../dlq/dead-letters.ts'),
        import('../run-until-signal.ts'),
      ]);
      const env = await envWithStackDefaults();
      const config = dashboard.loadDashboardConfig(
        options.port === undefined ? env : { ...env, DASHBOARD_PORT: String(options.port) },
      );
      const stack = loadStackConfig(env);
      // The status is read as `status --json` computes it, but through the reporting role.
      const readerEnv = { ...env, DATABASE_URL: config.DATABASE_READER_URL };
      const logger = createLogger('dashboard', config.LOG_LEVEL);
      const stop = signals.stopOnSignals();
      try {
        await dashboard.serveDashboard({
          config,
          home: stack.home,
          collectStatus: (pool) =>
            status.collectStatus(stack, readerEnv, { sampleMs: 1000, slotThrough: pool }),
          deadLetters: dlq.queryDeadLetters,
          explain: async (client, dimension, key, page) => {
            const { explainWith } = await import('@sales-pipeline/analytics/explain');
            return explainWith(client as never, dimension as 'total', key, page);
          },
          logger,
          signal: stop.signal,
          onListening: (url) => process.stdout.write(`dashboard: ${url}\n`),
        });
      } finally {
        stop.dispose();
      }
    });
}
