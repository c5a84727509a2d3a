import type { WorkerName } from './pipeline-state.ts';

export interface Feeds {
  sales?: string;
  products?: string;
  stores?: string;
}

export interface WorkerSpec {
  name: WorkerName;
  /** Arguments to `sales-pipeline`. */
  args: string[];
  /** Serves /metrics and /healthz on METRICS_PORT. */
  metrics: boolean;
}

/**
 * The workers `up` runs, in start order (downstream first, so nothing waits on a missing reader); they are
 * stopped in reverse order of the data flow's upstream: the feed stops first and the rest drains. With
 * `dashboard`, the web dashboard too (`sales-pipeline dashboard`, on DASHBOARD_HOST:DASHBOARD_PORT). Pure.
 */
export function planWorkers(
  feeds: Feeds,
  demo?: { rate: number; salesFile: string },
  options: { dashboard?: boolean; ingest?: boolean } = {},
): WorkerSpec[] {
  const specs: WorkerSpec[] = [
    { name: 'consumer', args: ['consume'], metrics: true },
    { name: 'analytics', args: ['analytics'], metrics: true },
    { name: 'notifier', args: ['notify'], metrics: true },
  ];
  if (options.dashboard) specs.push({ name: 'dashboard', args: ['dashboard'], metrics: true });
  // The HTTP ingest server (sales pushed by tills): when INGEST_TOKEN / INGEST_TOKENS_FILE is set, or --ingest.
  if (options.ingest) specs.push({ name: 'ingest', args: ['ingest'], metrics: true });
  if (feeds.sales || feeds.products || feeds.stores) {
    const args = ['produce', '--follow'];
    if (feeds.sales) args.push('--sales', feeds.sales);
    if (feeds.products) args.push('--products', feeds.products);
    if (feeds.stores) args.push('--stores', feeds.stores);
    specs.push({ name: 'producer', args, metrics: true });
  }
  if (demo) {
    specs.push({
      name: 'simulator',
      args: ['simulate', '--rate', String(demo.rate), '--out', demo.salesFile],
      metrics: false,
    });
  }
  return specs;
}

/** Stop order: the source first, then each stage after the one feeding it has stopped. */
export const STOP_ORDER: WorkerName[] = [
  'dashboard',
  'simulator',
  'ingest',
  'producer',
  'consumer',
  'analytics',
  'notifier',
];

/** Delay before restarting a worker that exited on its own: 1 s, doubling, at most 30 s. */
export function restartDelayMs(restarts: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
}

/** A worker that exits with code 2 has a configuration error: restarting it cannot help. */
export const CONFIG_ERROR_EXIT = 2;

/** More than this many exits within CRASH_WINDOW_MS is a crash loop: the supervisor stops restarting. */
export const CRASH_LIMIT = 5;
export const CRASH_WINDOW_MS = 120_000;
