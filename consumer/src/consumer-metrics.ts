import { counter, gauge, histogram, metricSet } from '@sales-pipeline/platform';

/** The consumer's Prometheus metrics. */
export class ConsumerMetrics extends metricSet({
  rowsApplied: counter({
    name: 'consumer_rows_applied_total',
    help: 'Rows written: sale (inserted), reference (product/store upserted), pending_completed, rejected, skipped (replayed)',
    labelNames: ['kind'],
  }),
  batchSize: histogram({
    name: 'consumer_batch_size',
    help: 'Messages per applied batch',
    buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
  }),
  batchSeconds: histogram({
    name: 'consumer_batch_duration_seconds',
    help: 'Time to apply a batch (one transaction)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  lag: gauge({
    name: 'consumer_lag_messages',
    help: 'Messages behind the partition high watermark',
    labelNames: ['topic', 'partition'],
  }),
  lineToRowSeconds: histogram({
    name: 'consumer_line_to_row_seconds',
    help: 'From the producer first seeing the feed line to its sale row committed',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  retries: counter({
    name: 'consumer_database_retries_total',
    help: 'Batches retried after a transient database error',
  }),
}) {}
