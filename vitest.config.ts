import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import the workspace packages from their TypeScript sources (the `source` export condition);
// the processes they spawn run the compiled dist/ through cli/bin.
const root = import.meta.dirname;

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@sales-pipeline\/([a-z]+)$/, replacement: path.join(root, '$1', 'src', 'index.ts') },
      { find: /^@sales-pipeline\/([a-z]+)\/(.+)$/, replacement: path.join(root, '$1', 'src', '$2.ts') },
    ],
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['*/src/**/*.test.ts', '*/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['*/src/**/*.int.test.ts', '*/test/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          // The real stack (PostgreSQL, Kafka, Kafka Connect + Debezium) is started once for the run.
          globalSetup: ['stack/test/global-setup.ts'],
          // Two cores and three JVMs: one test file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
