import { z } from 'zod';
import {
  databaseUrlSchema,
  logLevelSchema,
  metricsEnvShape,
  parseConfig,
  type Env,
} from '@sales-pipeline/platform';

/** The port the dashboard listens on unless DASHBOARD_PORT or --port says otherwise. */
export const DEFAULT_DASHBOARD_PORT = 8090;

const schema = z.object({
  /** DATABASE_READER_URL: the read-only reporting role (sales_reader). Required. */
  DATABASE_READER_URL: databaseUrlSchema,
  /** DASHBOARD_HOST: the interface to listen on. Default 127.0.0.1 (this machine only). */
  DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * DASHBOARD_PORT: the port. Unset: 8090, or any free port when 8090 is taken (the URL is in the log,
   * in `status` and printed by `up`). Set (or --port): that port, or an error.
   */
  DASHBOARD_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** KAFKA_BROKERS: used when the pipeline's status does not tell the broker (a stack it did not start). */
  KAFKA_BROKERS: z.string().min(1).optional(),
  LOG_LEVEL: logLevelSchema,
  ...metricsEnvShape,
});

export type DashboardConfig = z.infer<typeof schema>;

export function loadDashboardConfig(env: Env): DashboardConfig {
  return parseConfig(schema, env);
}

/** The URL the dashboard is served at for a configuration (what `up` prints before it listens). */
export function dashboardUrl(env: Env, port?: number): string {
  const host = env.DASHBOARD_HOST || '127.0.0.1';
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port ?? (Number(env.DASHBOARD_PORT) || DEFAULT_DASHBOARD_PORT)}/`;
}
