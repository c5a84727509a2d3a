import { describe, expect, it } from 'vitest';
import { formatPipelineStatus } from './format-pipeline-status.ts';
import {
  lastLoggedError,
  reportedRate,
  sumCounter,
  waitingFor,
  type PipelineStatus,
} from './pipeline-status.ts';
import { planWorkers, restartDelayMs, STOP_ORDER } from './worker-plan.ts';

describe('planWorkers', () => {
  it('runs a producer only for the configured feeds, and the simulator only in the demo', () => {
    expect(planWorkers({}).map((w) => w.name)).toEqual(['consumer', 'analytics', 'notifier']);
    const plan = planWorkers({ sales: 'https://example.com/ventes.csv', stores: '/d/magasins.csv' });
    expect(plan.find((w) => w.name === 'producer')?.args).toEqual([
      'produce',
      '--follow',
      '--sales',
      'https://example.com/ventes.csv',
      '--stores',
      '/d/magasins.csv',
    ]);
    const demo = planWorkers({ sales: '/h/demo/ventes.csv' }, { rate: 20, salesFile: '/h/demo/ventes.csv' });
    expect(demo.at(-1)).toEqual({
      name: 'simulator',
      args: ['simulate', '--rate', '20', '--out', '/h/demo/ventes.csv'],
      metrics: false,
    });
  });

  it('stops the feed before the stages it feeds', () => {
    expect(STOP_ORDER.indexOf('simulator')).toBeLessThan(STOP_ORDER.indexOf('producer'));
    expect(STOP_ORDER.indexOf('producer')).toBeLessThan(STOP_ORDER.indexOf('consumer'));
  });

  it('restarts with a doubling delay, capped at 30 s', () => {
    expect([0, 1, 2, 5, 50].map(restartDelayMs)).toEqual([1000, 2000, 4000, 30_000, 30_000]);
  });
});

describe('sumCounter', () => {
  const text = [
    '# HELP consumer_rows_applied_total Rows written',
    'consumer_rows_applied_total{kind="sale",service="consumer"} 120',
    'consumer_rows_applied_total{kind="reference",service="consumer"} 7',
    'consumer_rows_applied_total_extra{kind="sale"} 999',
    'producer_lines_read_total 42',
  ].join('\n');

  it('sums the samples of one counter, filtered by label', () => {
    expect(sumCounter(text, 'consumer_rows_applied_total')).toBe(127);
    expect(sumCounter(text, 'consumer_rows_applied_total', 'kind="sale"')).toBe(120);
    expect(sumCounter(text, 'producer_lines_read_total')).toBe(42);
    expect(sumCounter(text, 'missing_total')).toBeUndefined();
  });
});

describe('lastLoggedError', () => {
  it('finds the newest error in a pino log, or the CLI’s own message', () => {
    const log = [
      JSON.stringify({ level: 50, time: 1_700_000_000_000, msg: 'old', err: { message: 'first' } }),
      JSON.stringify({ level: 30, time: 1_700_000_001_000, msg: 'fine' }),
      JSON.stringify({ level: 50, time: 1_700_000_002_000, msg: 'batch failed', err: { message: 'boom' } }),
      JSON.stringify({ level: 30, time: 1_700_000_003_000, msg: 'retrying' }),
      '{"level":50,"cut',
    ].join('\n');
    expect(lastLoggedError(log)).toEqual({ at: '2023-11-14T22:13:22.000Z', message: 'batch failed: boom' });
    expect(lastLoggedError('sales-pipeline: invalid configuration: X\n')).toEqual({
      at: '',
      message: 'invalid configuration: X',
    });
    expect(lastLoggedError(JSON.stringify({ level: 30, msg: 'ok' }))).toBeNull();
  });
});

describe('waitingFor', () => {
  it('reads the topics a worker waits for from its /healthz body', () => {
    expect(waitingFor('{"ok":true,"detail":{"waitingFor":["cdc.public.sales"]}}')).toEqual({
      waitingFor: ['cdc.public.sales'],
    });
    expect(waitingFor('{"ok":true}')).toEqual({});
    expect(waitingFor(undefined)).toEqual({});
    expect(waitingFor('not json')).toEqual({});
  });
});

describe('formatPipelineStatus', () => {
  it('shows a failed worker with its last error, net and gross revenue, a held feed, and never a password', () => {
    const status: PipelineStatus = {
      healthy: false,
      checkedAt: '2026-11-22T00:00:00.000Z',
      mode: 'native',
      endpoints: {
        databaseUrl: 'postgres://sales_app@127.0.0.1:5432/sales',
        kafkaBrokers: '127.0.0.1:9092',
        connectUrl: 'http://127.0.0.1:8083',
      },
      components: [{ name: 'postgres', healthy: true, detail: 'healthy', pid: 1 }],
      supervisor: { pid: 10, alive: true, demo: false, startedAt: '' },
      workers: [
        {
          name: 'notifier',
          pid: null,
          alive: false,
          healthy: false,
          metricsUrl: null,
          restarts: 0,
          failed: 'configuration error (exit code 2): see notifier.log',
          ratePerSecond: null,
          lastError: { at: '2026-11-22T00:00:00.000Z', message: 'SLACK_CHANNEL is required' },
          logFile: 'notifier.log',
        },
        {
          name: 'analytics',
          pid: 12,
          alive: true,
          healthy: true,
          metricsUrl: 'http://127.0.0.1:9400/metrics',
          restarts: 0,
          failed: null,
          ratePerSecond: 0,
          lastError: null,
          logFile: 'analytics.log',
          waitingFor: ['cdc.public.sales', 'cdc.public.stores'],
        },
      ],
      connector: null,
      replicationSlot: { name: 'sales_pipeline_cdc', active: true, lagBytes: 512 },
      consumerLag: [{ group: 'sales-pipeline.consumer', topic: 'sales', lag: 3 }],
      totals: {
        sales: 10,
        pendingSales: 1,
        rejectedRows: 2,
        grossRevenue: '17.50',
        returns: 1,
        returnsRevenue: '5.00',
        revenue: '12.50',
        milestones: 0,
      },
      lastMilestones: [],
      heldFeeds: [
        {
          feed: 'ventes.csv',
          reason: 'would cancel more than SNAPSHOT_MAX_CANCEL',
          cancels: 40,
          live_sales: 50,
          held_at: '2026-11-22T00:00:00.000Z',
        },
      ],
      backfills: [{ feed: 'history-2025', started_at: '2026-11-22T00:00:00.000Z', held_milestones: 12 }],
      verification: {
        verified_through: '2026-11-22T00:00:00.000Z',
        checked_at: '2026-11-22T00:00:05.000Z',
        drift: [
          {
            aggregate: 'by_city',
            key: 'Lyon',
            stored: { units: '12', revenue: '1069.79' },
            recomputed: { units: '12', revenue: '1059.79' },
            detected_at: '2026-11-22T00:00:05.000Z',
          },
        ],
        behind: { sales: 2, oldest_sale_id: 'ventes.csv/0/9' },
      },
      feeds: [
        {
          name: 'ventes.csv',
          kind: 'feed',
          last_growth_at: '2026-11-21T00:00:00.000Z',
          lines: 9,
          rejected: 2,
          stale: true,
          stale_since: '2026-11-21T00:30:00.000Z',
        },
        {
          name: 'pos-lyon',
          kind: 'http',
          last_growth_at: '2026-11-22T00:00:00.000Z',
          lines: 3,
          rejected: 0,
          stale: false,
        },
      ],
      errors: [],
    };
    const text = formatPipelineStatus(status, '/h');
    expect(text).toContain('NOT healthy');
    expect(text).toContain('✗ notifier   FAILED: configuration error');
    expect(text).toContain(
      '✓ analytics  pid 12  0/s\n      waiting for topics: cdc.public.sales, cdc.public.stores',
    );
    expect(text).toContain('last error 2026-11-22T00:00:00.000Z: SLACK_CHANNEL is required');
    expect(text).toContain('sales_pipeline_cdc: active, 512 bytes behind');
    expect(text).toContain('sales-pipeline.consumer  sales  3');
    expect(text).toContain(
      '10 sales (1 pending), 2 rejected rows, revenue 12.50 € net (gross 17.50 €, 1 returns 5.00 €)',
    );
    expect(text).toContain(
      '! warning: feed ventes.csv held since 2026-11-22T00:00:00.000Z: its new version would cancel 40 of its 50 sales',
    );
    expect(text).toContain(
      '✗ verified   through 2026-11-22T00:00:00.000Z (checked 2026-11-22T00:00:05.000Z); 2 sales not counted yet (first: ventes.csv/0/9)',
    );
    expect(text).toContain(
      '! drift: by_city Lyon holds revenue 1069.79 (units 12), its sales add up to 1059.79 (units 12), since 2026-11-22T00:00:05.000Z; fix it with: sales-pipeline reconcile --repair',
    );
    expect(text).toContain(
      'backfill history-2025 open since 2026-11-22T00:00:00.000Z: 12 milestone(s) held for its summary (resume it with the same backfill command, or close it with: sales-pipeline backfill --abandon history-2025)',
    );
    expect(text).toContain('! warning: feed ventes.csv has not grown since 2026-11-21T00:00:00.000Z');
    expect(text).not.toContain('feed pos-lyon has not grown');
    expect(text).toContain(
      'sources:\n  ventes.csv  file/url  9 lines, 2 rejected, last grew 2026-11-21T00:00:00.000Z\n' +
        '  pos-lyon  http  3 lines, 0 rejected, last grew 2026-11-22T00:00:00.000Z',
    );
  });
});

describe('reportedRate', () => {
  it('reads the rate a worker keeps in its /healthz body', () => {
    expect(reportedRate('{"ok":true,"ratePerSecond":301.5}')).toBe(301.5);
    expect(reportedRate('{"ok":true,"ratePerSecond":null}')).toBeNull();
    expect(reportedRate('{"ok":true}')).toBeUndefined();
    expect(reportedRate('not json')).toBeUndefined();
    expect(reportedRate(undefined)).toBeUndefined();
  });
});
