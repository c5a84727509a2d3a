import { counter, gauge, metricSet } from '@sales-pipeline/platform';

/** The producer's Prometheus metrics, labelled by feed. */
export class ProducerMetrics extends metricSet({
  linesRead: counter({
    name: 'producer_lines_read_total',
    help: 'Feed records read, by outcome: sale/product/store row, dead letter, or header',
    labelNames: ['feed', 'outcome'],
  }),
  messagesPublished: counter({
    name: 'producer_messages_published_total',
    help: 'Messages committed to Kafka',
    labelNames: ['feed', 'topic'],
  }),
  deadLettered: counter({
    name: 'producer_dead_lettered_total',
    help: 'Records sent to the dead-letter topic',
    labelNames: ['feed'],
  }),
  bytesBehind: gauge({
    name: 'producer_bytes_behind',
    help: 'Bytes of the feed not yet published',
    labelNames: ['feed'],
  }),
  sourceRewrites: counter({
    name: 'producer_source_rewrites_total',
    help: 'Times a source was found to have rewritten rows already published',
    labelNames: ['feed'],
  }),
  versionChanges: counter({
    name: 'producer_version_changes_total',
    help: 'What the snapshot versions applied changed: new sales, amendments, cancellations',
    labelNames: ['feed', 'change'],
  }),
  transactions: counter({
    name: 'producer_transactions_total',
    help: 'Kafka transactions committed',
    labelNames: ['feed'],
  }),
}) {}
