import { z } from 'zod';
import { DEFAULT_PRODUCT_ID_PATTERN, DEFAULT_STORE_ID_PATTERN, wholeIdPattern } from './id-patterns.ts';
import {
  parseConfig,
  pipelineTopicsEnvShape,
  positiveIntSchema,
  workerSchema,
  type Env,
} from '@sales-pipeline/platform';

/** PRODUCER_LINGER_MS's default (see the schema below). */
export const PRODUCER_LINGER_DEFAULT_MS = 50;

/** A regular expression given in the environment, compiled to match whole ids. */
function idPatternSchema(defaultSource: string) {
  return z
    .string()
    .default(defaultSource)
    .transform((source, ctx) => {
      let pattern: RegExp;
      try {
        pattern = wholeIdPattern(source);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `is not a valid regular expression (${(error as Error).message}): give one that a whole id must match, e.g. ${defaultSource}`,
        });
        return z.NEVER;
      }
      if (pattern.test('')) {
        ctx.addIssue({
          code: 'custom',
          message: `matches an empty id: give a regular expression that a whole id must match, e.g. ${defaultSource}`,
        });
        return z.NEVER;
      }
      return pattern;
    });
}

const schema = workerSchema({
  ...pipelineTopicsEnvShape,
  /** SALES_TOPIC_PARTITIONS: partitions of the sales topic when the producer creates it. Default 3. */
  SALES_TOPIC_PARTITIONS: positiveIntSchema(3),
  /**
   * FILE_POLL_INTERVAL_MS: the safety-net check of a followed file. Changes wake the producer at once
   * (inotify); this poll only matters where the filesystem gives no events. Default 1000.
   */
  FILE_POLL_INTERVAL_MS: positiveIntSchema(1000),
  /**
   * PRODUCER_LINGER_MS: after a change wakes it, how long the producer lets more lines arrive before it
   * reads them, so that lines appended one by one share a Kafka transaction. 0 reads at once. Default 50:
   * at 300 sales/s the whole stack then spends ~25 % less CPU per sale than at 20 ms (a transaction costs
   * the broker, the consumer and PostgreSQL far more than a line does), and the less loaded machine
   * brings the lines to their rows and aggregates no later (README, Benchmarks).
   */
  PRODUCER_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(PRODUCER_LINGER_DEFAULT_MS),
  /** URL_POLL_INTERVAL_MS: how often a URL feed is polled (conditional GET). Default 2000. */
  URL_POLL_INTERVAL_MS: positiveIntSchema(2000),
  /**
   * LAST_LINE_IDLE_MS: with --follow, an unterminated last line that parses as a complete row is taken
   * once the file has not changed for this long. Default 1000.
   */
  LAST_LINE_IDLE_MS: positiveIntSchema(1000),
  /** ROTATION_SETTLE_MS: after a truncation or a replaced file, wait this long before comparing contents. Default 300. */
  ROTATION_SETTLE_MS: positiveIntSchema(300),
  /** MAX_LINE_BYTES: longer lines are dead-lettered. Default 65536. */
  MAX_LINE_BYTES: positiveIntSchema(65_536),
  /** PRODUCER_READ_BYTES: bytes read per step; each step is one Kafka transaction. Default 262144. */
  PRODUCER_READ_BYTES: positiveIntSchema(262_144),
  /**
   * PRODUCT_ID_PATTERN / STORE_ID_PATTERN: regular expressions a whole product / store id must match; a
   * row with another id is rejected with its reason. Defaults: the client's, `REF[0-9]+` and `[1-9][0-9]*`.
   */
  PRODUCT_ID_PATTERN: idPatternSchema(DEFAULT_PRODUCT_ID_PATTERN),
  STORE_ID_PATTERN: idPatternSchema(DEFAULT_STORE_ID_PATTERN),
});

export type ProducerConfig = z.infer<typeof schema>;

/** The producer's configuration, validated once at start. */
export function loadProducerConfig(env: Env = process.env): ProducerConfig {
  return parseConfig(schema, env);
}
