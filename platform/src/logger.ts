import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Field paths whose values never reach a log line. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'databaseUrl',
  '*.databaseUrl',
  'connectionString',
  '*.connectionString',
];

/**
 * The one logger of a process: JSON lines on stderr (stdout stays free for command output),
 * with secrets redacted. Use `child({ module })` for context, and put context in fields.
 */
export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: REDACTED_PATHS, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination(2),
  );
}
