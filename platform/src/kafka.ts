import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { kafkaSecurity, type KafkaSecurity } from './kafka-security.ts';
import { fixKafkajsIdleLoop } from './kafkajs-request-queue.ts';
import { fixKafkajsCoordinatorLookups } from './kafkajs-transaction-coordinator.ts';
import type { Logger } from './logger.ts';

// Every process that makes Kafka clients imports this module (through the platform's index): kafkajs's
// idle 1 ms timer loop, and its coordinator lookup before each transactional call, are gone for all of
// them, whichever creates the client.
fixKafkajsIdleLoop();
fixKafkajsCoordinatorLookups();

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Routes kafkajs's own log lines into our pino logger, as structured fields. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      // kafkajs logs every error response of a connection, retried or not: the caller sees real failures.
      // Retried operations (retryCount set) are not failures either.
      const target =
        namespace === 'Connection' || fields.retryCount !== undefined ? 'debug' : (LEVELS[level] ?? 'info');
      logger[target]({ kafkajs: namespace, ...fields }, message);
    };
}

/**
 * The Kafka client of a worker (and of every command that talks to Kafka). kafkajs retries on its own;
 * its logs go to our logger at WARN and above (its INFO lines are per-connection noise). TLS and SASL come
 * from the environment ({@link kafkaSecurity}: a wrong setting throws a ConfigError before any connection).
 */
export function createKafka(options: {
  clientId: string;
  brokers: string[];
  logger: Logger;
  security?: KafkaSecurity;
}): Kafka {
  return new Kafka({
    ...(options.security ?? kafkaSecurity()),
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger),
    retry: { initialRetryTime: 200, retries: 10 },
  });
}
