import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Environment as read by a config module: names to raw strings. */
export type Env = Readonly<Record<string, string | undefined>>;

/** `LOG_LEVEL`: pino level, default `info`. */
export const logLevelSchema = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** A PostgreSQL connection URL (`postgres://` or `postgresql://`). */
export const databaseUrlSchema = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value), {
    message: 'must be a postgres:// URL, e.g. postgres://sales_app:…@127.0.0.1:5432/sales',
  });

/** Comma-separated `host:port` list of Kafka brokers, parsed to an array. */
export const kafkaBrokersSchema = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker.length > 0),
  )
  .refine((brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), {
    message: 'must be a comma-separated list of host:port, e.g. 127.0.0.1:9092',
  });

/** An http(s) URL, e.g. the Kafka Connect REST endpoint. */
export const httpUrlSchema = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^\s]+$/.test(value), { message: 'must be an http(s):// URL' });

/** A positive whole number given as a string in the environment (`"250"` → 250). */
export function positiveIntSchema(defaultValue: number) {
  return z.coerce.number().int().positive().default(defaultValue);
}

/**
 * Validates `env` against `schema` once. On failure throws a {@link ConfigError} that lists every
 * invalid key with what is wrong, never the offending value (it may be a secret).
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const message =
      issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return `${key}: ${message}`;
  });
  throw new ConfigError(issues);
}

/**
 * The metrics server's keys, shared by every worker's schema: METRICS_PORT serves /metrics and /healthz
 * on this port (0 = any free port; unset = no server); METRICS_HOST is its interface (default 127.0.0.1,
 * 0.0.0.0 in containers).
 */
export const metricsEnvShape = {
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
};

/** `LOG_FORMAT`: `pretty` (human lines) or `json` (one JSON object a line). */
export const logFormatSchema = z.enum(['json', 'pretty']).optional();

export type LogFormat = 'json' | 'pretty';

/**
 * The log format of this process: `LOG_FORMAT` when set; otherwise pretty lines on a terminal, JSON lines
 * when stderr is a file, a pipe or a container's log.
 */
export function logFormatFromEnv(env: Env = process.env, isTTY = Boolean(process.stderr.isTTY)): LogFormat {
  const { LOG_FORMAT } = parseConfig(z.object({ LOG_FORMAT: logFormatSchema }), env);
  return LOG_FORMAT ?? (isTTY ? 'pretty' : 'json');
}
