import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Logger } from '@sales-pipeline/platform';
import { KeyPartitioner } from '../../publish/key-partitioner.ts';
import type { Source } from '../source.ts';
import { IngestBatcher } from './ingest-batcher.ts';
import { IngestLedger, type LedgerTopics } from './ingest-ledger.ts';
import { IngestServer, type IngestCounters, type IngestServerOptions } from './ingest-server.ts';
import type { IngestTokens } from './ingest-tokens.ts';

export interface HttpSourceOptions extends IngestServerOptions {
  topics: LedgerTopics;
  /** A request not committed in Kafka within this is answered 503. */
  timeoutMs: number;
  /** The ledger remembers at least this many of the latest sales. */
  ledgerSales: number;
}

/** Most sales (and rejected sales) in one transaction; more waiting requests go in the next one. */
const MAX_SALES_PER_TRANSACTION = 5_000;

/**
 * The HTTP source: sales pushed to `POST /v1/sales` (tills, shop systems, webhooks), each committed in
 * Kafka exactly once before it is acknowledged. What it remembers to resume is its ledger (the sales
 * accepted, their hash and rev), kept in the state topic and committed in the same transaction as the
 * sales ({@link IngestBatcher}).
 */
export class HttpSource implements Source {
  readonly type = 'http';
  /** The port listened on: the configured one, or the one the system gave for port 0. */
  private port: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly options: HttpSourceOptions,
    private readonly tokens: IngestTokens,
    private readonly counters: IngestCounters,
    private readonly log: Logger,
    private readonly stop: AbortSignal,
    /** Called once the server listens (the worker serves its /healthz from then on). */
    private readonly listening: () => Promise<unknown> = async () => undefined,
  ) {
    this.port = options.port;
  }

  get location(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.options.host}:${this.port}/v1/sales`;
  }

  async run(): Promise<void> {
    const { kafka, options, log, stop } = this;
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
      // Connecting initializes each transactional id: a killed server's open transactions are aborted, so
      // the ledger below is read to its end at once (read_committed waits on open transactions).
      for (const p of producers) await p.connect();
      const ledger = await IngestLedger.load(kafka, options.topics.state, log, options.ledgerSales);
      const batcher = new IngestBatcher(
        () => producers[turn++ % producers.length] as Producer,
        ledger,
        options.topics,
        log,
        { timeoutMs: options.timeoutMs, maxSalesPerTransaction: MAX_SALES_PER_TRANSACTION },
        undefined,
        async () => {
          await disconnectAll();
          producers = [newProducer(0), newProducer(1)];
          for (const p of producers) await p.connect();
        },
      );
      server = new IngestServer(
        options,
        this.tokens,
        batcher,
        () => this.kafkaReachable(),
        this.counters,
        log,
      );
      this.port = await server.listen();
      await this.listening();
      log.info({ url: this.location, ledger: ledger.size }, 'ingest server listening');
      await new Promise<void>((resolve) => {
        if (stop.aborted) resolve();
        else stop.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await server?.close();
      await disconnectAll();
    }
  }

  private reachable = { at: 0, ok: false };

  /** Whether Kafka answers (for /healthz): asked at most once a second, given up after 2 s. */
  private async kafkaReachable(): Promise<boolean> {
    if (Date.now() - this.reachable.at < 1_000) return this.reachable.ok;
    const ok = await Promise.race([
      this.admin.describeCluster().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000)),
    ]);
    this.reachable = { at: Date.now(), ok };
    return ok;
  }
}
