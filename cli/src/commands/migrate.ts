import { Command } from 'commander';

/** `sales-pipeline migrate`: apply pending migrations, then give the roles their passwords when provided. */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      'apply the database migrations (db/migrations) and set role passwords from the environment; first checks ' +
        'that the database offers what the pipeline needs (logical decoding, rights), naming what is missing',
    )
    .option('--check', 'only print the checklist (exit code 1 when something is missing); change nothing')
    .action(async (options: { check?: boolean }) => {
      const [
        { createLogger, StackError },
        { checkDatabase, loadStackConfig, nativeSecrets, runMigrations, setRolePasswords },
        { loadCliConfig },
      ] = await Promise.all([
        import('@sales-pipeline/platform'),
        import('@sales-pipeline/stack'),
        import('../config.ts'),
      ]);
      const config = loadCliConfig();
      const logger = createLogger('migrate', config.LOG_LEVEL);
      const adminUrl = config.DATABASE_ADMIN_URL ?? nativeSecrets(loadStackConfig())?.adminDatabaseUrl;
      if (!adminUrl) {
        throw new StackError('no database to migrate', {
          hint: 'Set DATABASE_ADMIN_URL, or start the native stack first: npx sales-pipeline stack up',
        });
      }
      if (options.check) {
        const items = await checkDatabase({ connectionString: adminUrl });
        for (const item of items)
          process.stdout.write(
            `${item.ok ? '✓' : '✗'} ${item.need}${item.ok ? '' : `\n    fix: ${item.fix}`}\n`,
          );
        if (items.some((item) => !item.ok)) process.exitCode = 1;
        return;
      }
      const applied = await runMigrations({ connectionString: adminUrl }, logger);
      await setRolePasswords(
        { connectionString: adminUrl },
        {
          app: config.SALES_APP_PASSWORD,
          reader: config.SALES_READER_PASSWORD,
          cdc: config.SALES_CDC_PASSWORD,
        },
      );
      process.stdout.write(
        applied.length
          ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n`
          : 'database is up to date\n',
      );
    });
}
