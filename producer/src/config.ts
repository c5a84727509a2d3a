import { z } from 'zod';
import { DEFAULT_PRODUCT_ID_PATTERN, DEFAULT_STORE_ID_PATTERN, wholeIdPattern } from './parse/id-patterns.ts';
import { normalizeHeaderName } from './parse/header.ts';
import { DEFAULT_CANCELLED_VALUES } from './parse/sale-rules.ts';
import { MAX_QUANTITY } from './parse/validate-values.ts';
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
export function idPatternSchema(defaultSource: string) {
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
   * brings the lines to their rows and aggregates no later (docs/benchmarks.md).
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
  /** QUANTITY_MAX: a quantity beyond it either way (a sale or a return) is rejected as a typing error. Default 10000. */
  QUANTITY_MAX: z.coerce.number().int().min(1).max(1_000_000).default(MAX_QUANTITY),
  /** SALE_ID_COLUMN: the header of the sales feed's own sale-id column, when it has one under another name. */
  SALE_ID_COLUMN: z.string().min(1).optional(),
  /** SALE_STATUS_COLUMN: the header of the column that marks a sale cancelled, under another name. */
  SALE_STATUS_COLUMN: z.string().min(1).optional(),
  /** SALE_CANCELLED_VALUES: comma-separated status values that cancel a sale. Default `annulée,cancelled` and variants. */
  SALE_CANCELLED_VALUES: z
    .string()
    .default(DEFAULT_CANCELLED_VALUES.join(','))
    .transform((text) => text.split(',').map(normalizeHeaderName).filter(Boolean)),
  /**
   * SALES_FEED_MODE: `append` (a file is tailed: new lines are new sales; a re-export replacing the file
   * is compared with what was published) or `snapshot` (each change of the file is a complete new version
   * of the data). URLs are always snapshots. Default append.
   */
  SALES_FEED_MODE: z.enum(['append', 'snapshot']).default('append'),
  /**
   * SNAPSHOT_MAX_CANCEL: a snapshot version that would cancel more than this share of the feed's live
   * sales (0 to 1) is held until `sales-pipeline feed accept <feed>`. Default 0.05.
   */
  SNAPSHOT_MAX_CANCEL: z.coerce.number().min(0).max(1).default(0.05),
  /** FEED_STATE_TOPIC: compacted topic keeping the published lines of snapshot feeds. Default sales.feed-state. */
  FEED_STATE_TOPIC: z.string().min(1).default('sales.feed-state'),
});

export type ProducerConfig = z.infer<typeof schema>;

/** The producer's configuration, validated once at start. */
export function loadProducerConfig(env: Env = process.env): ProducerConfig {
  return parseConfig(schema, env);
}
