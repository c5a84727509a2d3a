import { Command } from 'commander';

/** What the stack commands run with, loaded when one runs (see ../options.ts). */
async function load() {
  const [platform, stack, { loadCliConfig, stackConfigFor }, { formatStatus }, { shellQuote }] =
    await Promise.all([
      import('@sales-pipeline/platform'),
      import('@sales-pipeline/stack'),
      import('../config.ts'),
      import('../format-status.ts'),
      import('../shell-quote.ts'),
    ]);
  return {
    ...stack,
    createLogger: platform.createLogger,
    loadCliConfig,
    stackConfigFor,
    formatStatus,
    shellQuote,
  };
}

/** `sales-pipeline stack up | down | status | env`. */
export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'the local infrastructure: PostgreSQL, Kafka, Kafka Connect + Debezium',
  );

  stack
    .command('up')
    .description(
      'start the stack (native processes by default), migrate, register the connector; prints the endpoints',
    )
    .option(
      '--docker',
      'use containers (testcontainers) instead of native processes; stays in the foreground',
    )
    .option('--json', 'print the endpoints as JSON')
    .option(
      '--secure',
      'a new native stack, secured: the broker only takes SASL_SSL (SCRAM-SHA-512) with certificates of its own CA (see stack env)',
    )
    .action(async (options: { docker?: boolean; json?: boolean; secure?: boolean }) => {
      const { createLogger, loadCliConfig, stackConfigFor, startStack } = await load();
      const logger = createLogger('stack', loadCliConfig().LOG_LEVEL);
      const config = stackConfigFor(options);
      const started = Date.now();
      const running = await startStack(config, logger, { docker: options.docker ?? false });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ mode: running.mode, endpoints: running.endpoints, startSeconds: Number(seconds) })}\n`,
        );
      } else {
        process.stdout.write(
          `stack up (${running.mode}) in ${seconds} s\n` +
            `  database  ${running.endpoints.databaseUrl}\n` +
            `  kafka     ${running.endpoints.kafkaBrokers}\n` +
            `  connect   ${running.endpoints.connectUrl}\n` +
            (running.mode === 'native'
              ? `Passwords: eval "$(npx sales-pipeline stack env)". Stop with: npx sales-pipeline stack down\n`
              : ''),
        );
      }
      if (running.mode === 'docker') {
        process.stdout.write('Containers run while this command does: Ctrl-C stops them.\n');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await running.down();
      }
    });

  stack
    .command('fetch')
    .description(
      'resolve the pinned Kafka and Debezium jars from Maven Central into the cache (done by up on first use)',
    )
    .action(async () => {
      const { loadStackConfig, ensureJars, checkPrerequisites } = await load();
      const config = loadStackConfig();
      const jars = await ensureJars(config.cacheDir, checkPrerequisites(config).mvn);
      process.stdout.write(`jars ready: ${jars.libDir}\nplugins:    ${jars.pluginDir}\n`);
    });

  stack
    .command('down')
    .description('stop every component of the native stack (the data stays)')
    .action(async () => {
      const { createLogger, loadCliConfig, loadStackConfig, nativeDown } = await load();
      const logger = createLogger('stack', loadCliConfig().LOG_LEVEL);
      await nativeDown(loadStackConfig(), logger);
      process.stdout.write('stack down\n');
    });

  stack
    .command('status')
    .description("each component's health and the endpoints")
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const { loadStackConfig, nativeStatus, formatStatus } = await load();
      const status = await nativeStatus(loadStackConfig());
      process.stdout.write(
        options.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`,
      );
      if (!status.healthy) process.exitCode = 1;
    });

  stack
    .command('env')
    .description(
      'print shell exports (with passwords) for the running native stack: eval "$(sales-pipeline stack env)"',
    )
    .action(async () => {
      const { loadStackConfig, nativeStatus, nativeSecrets, nativeClientEnv, shellQuote } = await load();
      const config = loadStackConfig();
      const status = await nativeStatus(config);
      const secrets = nativeSecrets(config);
      if (!status.endpoints || !secrets) {
        process.stderr.write('No native stack here. Start one with: npx sales-pipeline stack up\n');
        process.exitCode = 1;
        return;
      }
      const exports = {
        DATABASE_URL: secrets.databaseUrl,
        DATABASE_READER_URL: secrets.readerDatabaseUrl,
        DATABASE_ADMIN_URL: secrets.adminDatabaseUrl,
        KAFKA_BROKERS: status.endpoints.kafkaBrokers,
        CONNECT_URL: status.endpoints.connectUrl,
        KAFKA_CONNECT_URL: status.endpoints.connectUrl,
        ...nativeClientEnv(config),
      };
      for (const [key, value] of Object.entries(exports))
        process.stdout.write(`export ${key}=${shellQuote(value)}\n`);
    });

  return stack;
}
