import fs from 'node:fs';
import { z } from 'zod';
import {
  ConfigError,
  counter,
  ensureTopics,
  metricSet,
  parseConfig,
  pipelineTopics,
  pipelineTopicSpecs,
  pipelineTopicsEnvShape,
  positiveIntSchema,
  withWorkerClients,
  workerSchema,
  type Env,
  type Logger,
  type WorkerEntry,
} from '@sales-pipeline/platform';
import { idPatternSchema } from './config.ts';
import { DEFAULT_PRODUCT_ID_PATTERN, DEFAULT_STORE_ID_PATTERN } from './parse/id-patterns.ts';
import { DEFAULT_SALE_RULES } from './parse/sale-rules.ts';
import { MAX_QUANTITY } from './parse/validate-values.ts';
import { DEFAULT_LEDGER_SALES } from './sources/http/ingest-ledger.ts';
import { IngestTokens } from './sources/http/ingest-tokens.ts';
import { HttpSource } from './sources/index.ts';

const schema = workerSchema({
  ...pipelineTopicsEnvShape,
  SALES_TOPIC_PARTITIONS: positiveIntSchema(3),
  /** INGEST_HOST / INGEST_PORT: where the ingest server listens. Defaults 127.0.0.1:8091. */
  INGEST_HOST: z.string().min(1).default('127.0.0.1'),
  INGEST_PORT: z.coerce.number().int().min(0).max(65_535).default(8091),
  /** INGEST_TOKEN: a bearer token valid for every source (a secret: environment only). */
  INGEST_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** INGEST_TOKENS_FILE: JSON {source: sha256 hex of its token}, one token per source. */
  INGEST_TOKENS_FILE: z.string().min(1).optional(),
  /** INGEST_TLS_CERT_FILE / INGEST_TLS_KEY_FILE: serve HTTPS with this certificate and key (PEM). */
  INGEST_TLS_CERT_FILE: z.string().min(1).optional(),
  INGEST_TLS_KEY_FILE: z.string().min(1).optional(),
  /** INGEST_MAX_BODY_BYTES: larger requests are refused with 413. Default 1 MiB. */
  INGEST_MAX_BODY_BYTES: positiveIntSchema(1024 * 1024),
  /** INGEST_TIMEOUT_MS: a request not committed in Kafka within this is answered 503. Default 5000. */
  INGEST_TIMEOUT_MS: positiveIntSchema(5_000),
  /** INGEST_MAX_INFLIGHT: more requests in flight are answered 429. Default 256. */
  INGEST_MAX_INFLIGHT: positiveIntSchema(256),
  /**
   * INGEST_MAX_INFLIGHT_BYTES: request bodies in flight at most, bytes (a body without a length counts as
   * INGEST_MAX_BODY_BYTES); a request that would go over is answered 429, one is always taken when none is
   * in flight. Default 1 MiB: a request of 10,000 sales (870 KB) takes tens of MB of heap while it is
   * handled; sixteen such requests at once put the server out of memory, two at once too with its 40 MB old
   * space, again at each retry.
   */
  INGEST_MAX_INFLIGHT_BYTES: positiveIntSchema(1024 * 1024),
  /** INGEST_STATE_TOPIC: compacted topic of the sales accepted over HTTP (their hash and rev). */
  INGEST_STATE_TOPIC: z.string().min(1).default('sales.ingest-state'),
  /** INGEST_LEDGER_SALES: the ledger remembers at least this many of the latest sales. Default 100,000. */
  INGEST_LEDGER_SALES: positiveIntSchema(DEFAULT_LEDGER_SALES),
  QUANTITY_MAX: z.coerce.number().int().min(1).max(1_000_000).default(MAX_QUANTITY),
  PRODUCT_ID_PATTERN: idPatternSchema(DEFAULT_PRODUCT_ID_PATTERN),
  STORE_ID_PATTERN: idPatternSchema(DEFAULT_STORE_ID_PATTERN),
})
  .refine((c) => c.INGEST_TOKEN !== undefined || c.INGEST_TOKENS_FILE !== undefined, {
    message:
      'set INGEST_TOKEN (one token for every source) or INGEST_TOKENS_FILE (a token per source): the ingest server never runs without authentication',
    path: ['INGEST_TOKEN'],
  })
  .refine((c) => (c.INGEST_TLS_CERT_FILE === undefined) === (c.INGEST_TLS_KEY_FILE === undefined), {
    message: 'set INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE both, or neither',
    path: ['INGEST_TLS_CERT_FILE'],
  });

export type IngestConfig = z.infer<typeof schema>;

export function loadIngestConfig(env: Env): IngestConfig {
  return parseConfig(schema, env);
}

class IngestMetrics extends metricSet({
  requests: counter({
    name: 'ingest_requests_total',
    help: 'HTTP requests answered, by status',
    labelNames: ['status'],
  }),
  sales: counter({
    name: 'ingest_sales_total',
    help: 'Sales posted, by outcome: accepted (committed), duplicate, rejected',
    labelNames: ['outcome'],
  }),
}) {}

/**
 * The ingest server: sales pushed over HTTP (tills, shop systems, webhooks), each committed in Kafka
 * exactly once before it is acknowledged. Runs until `stop` aborts.
 */
export async function ingest(config: IngestConfig, logger: Logger, stop: AbortSignal): Promise<void> {
  const topics = pipelineTopics(config);
  const tokens = IngestTokens.from(config.INGEST_TOKEN, config.INGEST_TOKENS_FILE);
  await withWorkerClients(
    { service: 'ingest', config, logger },
    async ({ log, kafka, registry, serveMetrics }) => {
      const metrics = new IngestMetrics(registry);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [
          ...pipelineTopicSpecs(topics, config.SALES_TOPIC_PARTITIONS),
          { topic: config.INGEST_STATE_TOPIC, partitions: 1, compacted: true },
        ]);
        const source = new HttpSource(
          kafka,
          admin,
          {
            host: config.INGEST_HOST,
            port: config.INGEST_PORT,
            maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
            maxInflight: config.INGEST_MAX_INFLIGHT,
            maxInflightBytes: config.INGEST_MAX_INFLIGHT_BYTES,
            tls: readTls(config),
            ids: { product: config.PRODUCT_ID_PATTERN, store: config.STORE_ID_PATTERN },
            rules: { ...DEFAULT_SALE_RULES, quantityMax: config.QUANTITY_MAX },
            topics: { sales: topics.sales, deadLetter: topics.deadLetter, state: config.INGEST_STATE_TOPIC },
            timeoutMs: config.INGEST_TIMEOUT_MS,
            ledgerSales: config.INGEST_LEDGER_SALES,
          },
          tokens,
          {
            request: (status) => metrics.requests.inc({ status: String(status) }),
            sales: (accepted, duplicates, rejected) => {
              metrics.sales.inc({ outcome: 'accepted' }, accepted);
              metrics.sales.inc({ outcome: 'duplicate' }, duplicates);
              metrics.sales.inc({ outcome: 'rejected' }, rejected);
            },
          },
          log,
          stop,
          // /healthz (and `up`'s wait on it) only once sales can be posted, as before the source had its module.
          () => serveMetrics({ rate: { metric: 'ingest_sales_total' } }),
        );
        await source.run();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  );
}

export const worker: WorkerEntry<IngestConfig> = {
  service: 'ingest',
  loadConfig: loadIngestConfig,
  run: ingest,
};

/** The certificate and key of INGEST_TLS_*_FILE, read at start: an unreadable file is a configuration error. */
function readTls(config: IngestConfig): { cert: string; key: string } | undefined {
  if (!config.INGEST_TLS_CERT_FILE || !config.INGEST_TLS_KEY_FILE) return undefined;
  const problems: string[] = [];
  const read = (name: string, file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return '';
    }
  };
  const tls = {
    cert: read('INGEST_TLS_CERT_FILE', config.INGEST_TLS_CERT_FILE),
    key: read('INGEST_TLS_KEY_FILE', config.INGEST_TLS_KEY_FILE),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return tls;
}
