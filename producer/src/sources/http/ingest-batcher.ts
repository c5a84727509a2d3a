import type { Producer, Transaction } from 'kafkajs';
import type { Logger } from '@sales-pipeline/platform';
import { sendInRounds } from '../../publish/kafka-publisher.ts';
import type { IngestLedger, IngestResult, LedgerTopics } from './ingest-ledger.ts';
import type { IngestBatch } from './ingest-request.ts';

/** Kafka could not take the batch in time: the request gets a 503 and its client tries again. */
export class IngestUnavailable extends Error {}

interface Pending {
  batch: IngestBatch;
  receivedAt: number;
  deadline: number;
  resolve: (result: IngestResult) => void;
  reject: (error: Error) => void;
}

/**
 * Commits requests to Kafka, exactly once: the requests waiting when a transaction starts go into it
 * together (their sales, their rejected sales as dead letters, the ledger's updates), so that many
 * concurrent clients cost few transactions. A request is answered only once its transaction is
 * committed; one still waiting at its deadline is answered 503 and dropped from the queue (its client
 * tries again, and finds its sales as duplicates if they were committed after all).
 */
export class IngestBatcher {
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(
    /** The transactional producer of the moment: the recovery may replace it. */
    private readonly producer: () => Producer,
    private readonly ledger: IngestLedger,
    private readonly topics: LedgerTopics,
    private readonly logger: Logger,
    private readonly options: { timeoutMs: number; maxSalesPerTransaction: number },
    private readonly onCommitted: (results: IngestResult[], sales: number) => void = () => undefined,
    /**
     * After a failed transaction: a fresh transactional producer (kafkajs keeps a failed commit's state,
     * so the old one may refuse every later transaction).
     */
    private readonly recover: () => Promise<void> = async () => undefined,
  ) {}

  /** Resolves once the request's sales are committed in Kafka; rejects with {@link IngestUnavailable}. */
  submit(batch: IngestBatch, receivedAt = Date.now()): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      const pending: Pending = {
        batch,
        receivedAt,
        deadline: receivedAt + this.options.timeoutMs,
        resolve,
        reject,
      };
      const timer = setTimeout(() => {
        const at = this.queue.indexOf(pending);
        if (at >= 0) this.queue.splice(at, 1);
        reject(new IngestUnavailable(`Kafka did not take the batch within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      pending.resolve = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      pending.reject = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      this.queue.push(pending);
      this.drain().catch((error: unknown) => this.logger.error({ err: error }, 'ingest queue failed'));
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group: Pending[] = [];
        let sales = 0;
        while (this.queue.length > 0 && (group.length === 0 || sales < this.options.maxSalesPerTransaction)) {
          const next = this.queue.shift() as Pending;
          group.push(next);
          sales += next.batch.sales.length + next.batch.rejected.length;
        }
        await this.commit(group);
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    const plan = this.ledger.plan(
      group.map((p) => p.batch),
      this.topics,
      Math.min(...group.map((p) => p.receivedAt)),
    );
    if (plan.messages.size > 0) {
      let transaction: Transaction | undefined;
      try {
        transaction = await this.producer().transaction();
        await sendInRounds(transaction, plan.messages);
        await transaction.commit();
      } catch (error) {
        await transaction?.abort().catch(() => undefined);
        this.logger.warn({ err: error, requests: group.length }, 'ingest transaction failed: answered 503');
        for (const p of group)
          p.reject(new IngestUnavailable(`Kafka refused the batch: ${(error as Error).message}`));
        await this.recover().catch((err: unknown) =>
          this.logger.warn({ err }, 'could not reconnect to Kafka yet; the next request tries again'),
        );
        return;
      }
    }
    this.ledger.apply(plan.updates);
    this.onCommitted(plan.results, plan.updates.size);
    group.forEach((p, i) => p.resolve(plan.results[i] as IngestResult));
  }
}
