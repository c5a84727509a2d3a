import fs from 'node:fs';
import type { Producer } from 'kafkajs';
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
import { DEFAULT_PRODUCT_ID_PATTERN, DEFAULT_STORE_ID_PATTERN } from './id-patterns.ts';
import { KeyPartitioner } from './key-partitioner.ts';
import { DEFAULT_SALE_RULES } from './sale-rules.ts';
import { MAX_QUANTITY } from './validate-values.ts';
import { IngestBatcher } from './sources/http/ingest-batcher.ts';
import { DEFAULT_LEDGER_SALES, IngestLedger } from './sources/http/ingest-ledger.ts';
import { IngestServer } from './sources/http/ingest-server.ts';
import { IngestTokens } from './sources/http/ingest-tokens.ts';

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
      // Two transactional ids used in turn: the coordinator finishes a commit (its markers) a few ms after
      // answering it, and a transaction on the same id started meanwhile is refused (CONCURRENT_TRANSACTIONS,
      // retried after a wait); the other id's transaction runs in that time. Still one transaction at a
      // time, so the ledger is planned in order.
      const newProducer = (slot: number) =>
        kafka.producer({
          transactionalId: slot === 0 ? 'sales-pipeline.ingest' : `sales-pipeline.ingest.${slot}`,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: 60_000,
          createPartitioner: KeyPartitioner,
          // From 10 ms: kafkajs retries CONCURRENT_TRANSACTIONS after this wait.
          retry: { retries: 8, initialRetryTime: 10, maxRetryTime: 2_000 },
        });
      let producers = [newProducer(0), newProducer(1)];
      let turn = 0;
      const disconnectAll = () => Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
      let server: IngestServer | undefined;
      try {
        await ensureTopics(admin, [
          ...pipelineTopicSpecs(topics, config.SALES_TOPIC_PARTITIONS),
          { topic: config.INGEST_STATE_TOPIC, partitions: 1, compacted: true },
        ]);
        // Connecting initializes each transactional id: a killed server's open transactions are aborted, so
        // the ledger below is read to its end at once (read_committed waits on open transactions).
        for (const p of producers) await p.connect();
        const ledger = await IngestLedger.load(
          kafka,
          config.INGEST_STATE_TOPIC,
          log,
          config.INGEST_LEDGER_SALES,
        );
        const batcher = new IngestBatcher(
          () => producers[turn++ % producers.length] as Producer,
          ledger,
          { sales: topics.sales, deadLetter: topics.deadLetter, state: config.INGEST_STATE_TOPIC },
          log,
          { timeoutMs: config.INGEST_TIMEOUT_MS, maxSalesPerTransaction: 5_000 },
          undefined,
          async () => {
            await disconnectAll();
            producers = [newProducer(0), newProducer(1)];
            for (const p of producers) await p.connect();
          },
        );
        let reachable = { at: 0, ok: false };
        const kafkaReachable = async () => {
          if (Date.now() - reachable.at < 1_000) return reachable.ok;
          const ok = await Promise.race([
            admin.describeCluster().then(
              () => true,
              () => false,
            ),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000)),
          ]);
          reachable = { at: Date.now(), ok };
          return ok;
        };
        server = new IngestServer(
          {
            host: config.INGEST_HOST,
            port: config.INGEST_PORT,
            maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
            maxInflight: config.INGEST_MAX_INFLIGHT,
            tls: readTls(config),
            ids: { product: config.PRODUCT_ID_PATTERN, store: config.STORE_ID_PATTERN },
            rules: { ...DEFAULT_SALE_RULES, quantityMax: config.QUANTITY_MAX },
          },
          tokens,
          batcher,
          kafkaReachable,
          {
            request: (status) => metrics.requests.inc({ status: String(status) }),
            sales: (accepted, duplicates, rejected) => {
              metrics.sales.inc({ outcome: 'accepted' }, accepted);
              metrics.sales.inc({ outcome: 'duplicate' }, duplicates);
              metrics.sales.inc({ outcome: 'rejected' }, rejected);
            },
          },
          log,
        );
        const port = await server.listen();
        await serveMetrics({ rate: { metric: 'ingest_sales_total' } });
        log.info(
          {
            url: `${config.INGEST_TLS_CERT_FILE ? 'https' : 'http'}://${config.INGEST_HOST}:${port}/v1/sales`,
            ledger: ledger.size,
          },
          'ingest server listening',
        );
        await new Promise<void>((resolve) => {
          if (stop.aborted) resolve();
          else stop.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        await server?.close();
        await disconnectAll();
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
