import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The consumer's Prometheus metrics. */
export class ConsumerMetrics {
  readonly rowsApplied: Counter<'kind'>;
  readonly batchSize: Histogram;
  readonly batchSeconds: Histogram;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly lineToRowSeconds: Histogram;
  readonly retries: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rowsApplied = new Counter({
      name: 'consumer_rows_applied_total',
      help: 'Rows written: sale (inserted), reference (product/store upserted), pending_completed, rejected, skipped (replayed)',
      labelNames: ['kind'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'consumer_batch_size',
      help: 'Messages per applied batch',
      buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'consumer_batch_duration_seconds',
      help: 'Time to apply a batch (one transaction)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.lag = new Gauge({
      name: 'consumer_lag_messages',
      help: 'Messages behind the partition high watermark',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.lineToRowSeconds = new Histogram({
      name: 'consumer_line_to_row_seconds',
      help: 'From the producer first seeing the feed line to its sale row committed',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.retries = new Counter({
      name: 'consumer_database_retries_total',
      help: 'Batches retried after a transient database error',
      registers,
    });
  }
}
