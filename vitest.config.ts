import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['*/src/**/*.test.ts', '*/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
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
