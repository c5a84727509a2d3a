import { Counter, Gauge, type Registry } from 'prom-client';

/** The producer's Prometheus metrics, labelled by feed. */
export class ProducerMetrics {
  readonly linesRead: Counter<'feed' | 'outcome'>;
  readonly messagesPublished: Counter<'feed' | 'topic'>;
  readonly deadLettered: Counter<'feed'>;
  readonly bytesBehind: Gauge<'feed'>;
  readonly sourceRewrites: Counter<'feed'>;
  readonly transactions: Counter<'feed'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.linesRead = new Counter({
      name: 'producer_lines_read_total',
      help: 'Feed records read, by outcome: sale/product/store row, dead letter, or header',
      labelNames: ['feed', 'outcome'],
      registers,
    });
    this.messagesPublished = new Counter({
      name: 'producer_messages_published_total',
      help: 'Messages committed to Kafka',
      labelNames: ['feed', 'topic'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'producer_dead_lettered_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['feed'],
      registers,
    });
    this.bytesBehind = new Gauge({
      name: 'producer_bytes_behind',
      help: 'Bytes of the feed not yet published',
      labelNames: ['feed'],
      registers,
    });
    this.sourceRewrites = new Counter({
      name: 'producer_source_rewrites_total',
      help: 'Times a source was found to have rewritten rows already published',
      labelNames: ['feed'],
      registers,
    });
    this.transactions = new Counter({
      name: 'producer_transactions_total',
      help: 'Kafka transactions committed',
      labelNames: ['feed'],
      registers,
    });
  }
}
