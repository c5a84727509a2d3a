import type {
  Breakdown,
  DeadLettersSection,
  MilestoneView,
  PipelineSection,
  SalesSection,
  SourcesHealth,
  WorkerView,
} from '../src/shared/types.ts';

/**
 * The sections of a small pipeline, as the dashboard server sends them, for the page's tests: a few
 * sales whose names are hostile (markup, a Slack mention, a link), a milestone, a dead letter, and a
 * native stack with three workers.
 */

/** Names that would be markup, a Slack mention, mrkdwn or a link if they were not rendered as text. */
export const HOSTILE = {
  product: '<script>window.__pwned=1</script> <!channel>',
  city: '<img src=x onerror="window.__pwned=2">',
  region: '*bold* _it_ <https://evil.example|click>',
  reason: '<b>bad</b> &amp; <!here>',
  raw: '2024-01-01,<svg onload=alert(1)>,1,1',
  feed: '<iframe src=javascript:window.__pwned=3>.csv',
};

/** Rows without returns: their gross revenue is their net revenue. */
const noReturns = <T extends Breakdown>(rows: T[]) =>
  rows.map((r) => ({ ...r, returns: 0, grossRevenue: r.revenue, returnsRevenue: '0.00' }));

export function fakeSales(revenue = '5268.78'): SalesSection {
  const now = Date.now();
  const minute = Math.floor(now / 60_000) * 60_000;
  return {
    at: new Date(now).toISOString(),
    totals: { revenue, units: 120, sales: 29, returns: 1, grossRevenue: '5318.78', returnsRevenue: '50.00' },
    perMinute: [
      { minute: minute - 120_000, revenue: '149.97', units: 3, sales: 1 },
      { minute: minute - 60_000, revenue: '319.96', units: 4, sales: 2 },
      { minute, revenue: '99.98', units: 2, sales: 1 },
    ],
    byDay: noReturns([
      { day: '2023-05-27', revenue: '249.95', units: 5, sales: 1 },
      { day: '2023-05-28', revenue: '59.97', units: 3, sales: 1 },
      { day: '2023-05-29', revenue: '1059.80', units: 20, sales: 4 },
    ]),
    byProduct: noReturns([
      { productId: 'REF004', name: 'Produit D', revenue: '2399.70', units: 30, sales: 10 },
      { productId: 'REF001', name: 'Produit A', revenue: '1999.60', units: 40, sales: 9 },
      { productId: 'REF666', name: HOSTILE.product, revenue: '869.48', units: 50, sales: 10 },
    ]),
    byRegion: noReturns([
      { region: 'Île-de-France', revenue: '3000.00', units: 60, sales: 15 },
      { region: HOSTILE.region, revenue: '2268.78', units: 60, sales: 14 },
    ]),
    byCity: noReturns([
      { city: 'Paris', region: 'Île-de-France', revenue: '3000.00', units: 60, sales: 15 },
      { city: HOSTILE.city, region: HOSTILE.region, revenue: '2268.78', units: 60, sales: 14 },
    ]),
    bestStores: noReturns([
      { storeId: '1', city: 'Paris', region: 'Île-de-France', revenue: '3000.00', units: 60, sales: 15 },
      { storeId: '2', city: HOSTILE.city, region: HOSTILE.region, revenue: '2268.78', units: 60, sales: 14 },
    ]),
    quality: { rejectedRows: 1, pendingSales: 2 },
    corrections: [
      {
        saleId: `${HOSTILE.feed}/1/7`,
        rev: 2,
        op: 'cancellation',
        feed: HOSTILE.feed,
        productId: 'REF004',
        storeId: '1',
        quantity: -1,
        recordedAt: new Date(now).toISOString(),
      },
    ],
    heldFeeds: [
      {
        feed: HOSTILE.feed,
        reason: HOSTILE.reason,
        cancels: 40,
        liveSales: 50,
        heldAt: new Date(now).toISOString(),
      },
    ],
    trust: {
      verifiedThrough: new Date(now - 5000).toISOString(),
      checkedAt: new Date(now).toISOString(),
      behindSales: 0,
      drift: [
        {
          aggregate: 'by_city',
          key: HOSTILE.city,
          storedRevenue: '2278.78',
          recomputedRevenue: '2268.78',
          detectedAt: new Date(now).toISOString(),
        },
      ],
      feeds: [
        { name: HOSTILE.feed, lastGrowthAt: new Date(now - 3_600_000).toISOString(), stale: true },
        { name: 'pos-lyon', lastGrowthAt: new Date(now).toISOString(), stale: false },
      ],
    },
    sources: [
      {
        name: HOSTILE.feed,
        kind: 'feed',
        lines: 1_204_331,
        perSecond: 0,
        rejected: 12,
        lastGrowthAt: new Date(now - 3_600_000).toISOString(),
        stale: true,
      },
      {
        name: 'pos-lyon',
        kind: 'http',
        lines: 5_230,
        perSecond: 12.5,
        rejected: 3,
        lastGrowthAt: new Date(now).toISOString(),
        stale: false,
      },
    ],
  };
}

export const fakeMilestones: MilestoneView[] = [
  {
    id: 2,
    rule: 'product_units',
    subject: 'REF666',
    status: 'sent_dry',
    detectedAt: new Date().toISOString(),
    sentAt: new Date().toISOString(),
    text: { fr: `📦 ${HOSTILE.product} : 25 unités vendues`, en: `📦 ${HOSTILE.product}: 25 units sold` },
  },
];

export const fakeDeadLetters: DeadLettersSection = {
  totals: { rejectedRows: 1, pendingSales: 2 },
  rejected: [
    {
      id: 1,
      stage: 'producer',
      feed: 'ventes.csv',
      line: 31,
      reason: HOSTILE.reason,
      raw: HOSTILE.raw,
      topic: null,
      rejectedAt: new Date().toISOString(),
      replayedAt: null,
    },
  ],
  pending: [{ productId: 'REF999', storeId: '1', missing: 'product', sales: 2 }],
};

/** A worker as the supervisor reports it: running, healthy, never restarted, unless told otherwise. */
export function fakeWorker(worker: Pick<WorkerView, 'name'> & Partial<WorkerView>): WorkerView {
  return {
    pid: null,
    alive: true,
    healthy: true,
    restarts: 0,
    failed: null,
    ratePerSecond: null,
    lastError: null,
    ...worker,
  };
}

export function fakePipeline(consumerAlive = true): PipelineSection {
  return {
    at: new Date().toISOString(),
    healthy: consumerAlive,
    mode: 'native',
    components: [
      { name: 'postgres', healthy: true, detail: 'pid 10, port 54321' },
      { name: 'kafka', healthy: true, detail: 'pid 11, port 19092' },
      { name: 'connect', healthy: true, detail: 'pid 12, port 18083' },
      { name: 'connector', healthy: true, detail: 'sales-postgres-cdc RUNNING (task 0 RUNNING)' },
    ],
    supervisor: { pid: 5, alive: true, demo: true, startedAt: new Date().toISOString() },
    workers: [
      fakeWorker({
        name: 'consumer',
        pid: consumerAlive ? 21 : null,
        alive: consumerAlive,
        healthy: consumerAlive,
        restarts: consumerAlive ? 0 : 1,
        ratePerSecond: 20.4,
      }),
      fakeWorker({
        name: 'analytics',
        pid: 22,
        ratePerSecond: 20.1,
        lastError: { at: new Date().toISOString(), message: HOSTILE.reason },
      }),
      fakeWorker({ name: 'notifier', pid: 23, ratePerSecond: 0 }),
    ],
    connector: { name: 'sales-postgres-cdc', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] },
    replicationSlot: { name: 'sales_pipeline_cdc', active: true, lagBytes: 2048 },
    topics: [
      {
        name: 'sales',
        partitions: [0, 1, 2].map((partition) => ({ partition, endOffset: 100 + partition })),
      },
    ],
    groups: [
      {
        group: 'sales-pipeline.consumer',
        topic: 'sales',
        lag: 3,
        partitions: [0, 1, 2].map((partition) => ({
          partition,
          nextOffset: 99 + partition,
          endOffset: 100 + partition,
          lag: 1,
        })),
      },
    ],
    latency: [
      {
        hop: 'line → row',
        worker: 'consumer',
        metric: 'consumer_line_to_row_seconds',
        p50: 0.042,
        p99: 0.21,
        count: 1200,
        scope: 'window',
      },
    ],
    errors: [],
  };
}

/** Both sources reachable. */
export function fakeSources(): SourcesHealth {
  return {
    at: new Date().toISOString(),
    database: { ok: true, error: null, since: null },
    pipeline: { ok: true, error: null, since: null },
  };
}
