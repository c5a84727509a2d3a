import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { logFormatFromEnv, type LogFormat } from './config.ts';

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
 * Where the lines go: stderr, as JSON lines, or through pino-pretty (in this thread, no worker) for a
 * person at a terminal. pino-pretty is loaded only when it is used.
 */
function destination(format: LogFormat): DestinationStream {
  if (format === 'json') return pino.destination(2);
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    destination: 2,
    colorize: Boolean(process.stderr.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,module',
    messageFormat: '{if service}[{service}{if module}/{module}{end}] {end}{msg}',
    hideObject: false,
    singleLine: true,
    sync: true,
  });
}

/**
 * The one logger of a process, on stderr (stdout stays free for command output), with secrets redacted.
 * JSON lines, or human lines on a terminal (`LOG_FORMAT=json|pretty` decides, see logFormatFromEnv).
 * Use `child({ module })` for context, and put context in fields.
 */
export function createLogger(
  service: string,
  level: LevelWithSilent = 'info',
  format: LogFormat = logFormatFromEnv(),
): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: REDACTED_PATHS, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination(format),
  );
}
