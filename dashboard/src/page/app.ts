/// <reference lib="dom" />
import type uPlotType from 'uplot';
import {
  formatBytes,
  formatCount,
  formatDecimal,
  formatMoney,
  formatSeconds,
  type Locale,
} from '../shared/format.ts';
import type {
  Breakdown,
  DeadLettersSection,
  LatencyView,
  MilestoneView,
  PartitionLag,
  PipelineSection,
  SalesSection,
  SourcesHealth,
  WorkerView,
} from '../shared/types.ts';
import { dayToSeconds, minuteWindow, pipelineProblems } from '../shared/view.ts';
import { byId, h, setText, SortableTable } from './dom.ts';
import { label, type LabelKey } from './i18n.ts';

/**
 * The dashboard page: plain ES modules, no build step but tsc. It listens to the server's event stream
 * (/events) and redraws the section that changed; EventSource reconnects by itself after the server or
 * the network went away. Every string from the data goes through textContent (see dom.ts).
 */

type UPlotConstructor = typeof uPlotType;
// uPlot is served from its installed npm package by the dashboard server itself (no CDN).
const uPlotModule = '/vendor/uPlot.esm.js';
const UPlot = ((await import(uPlotModule)) as { default: UPlotConstructor }).default;

const params = new URLSearchParams(location.search);
const state: {
  locale: Locale;
  sales?: SalesSection;
  salesReceived: number;
  milestones?: MilestoneView[];
  deadLetters?: DeadLettersSection;
  pipeline?: PipelineSection;
  sources?: SourcesHealth;
  connected: boolean;
} = { locale: params.get('lang') === 'en' ? 'en' : 'fr', salesReceived: 0, connected: false };

const money = (row: Breakdown, locale: Locale) => formatMoney(row.revenue, locale);
const count = (key: 'units' | 'sales') => (row: Breakdown, locale: Locale) => formatCount(row[key], locale);
const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString(state.locale) : '–');
const dateTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString(state.locale) : '–');

const tables = {
  product: new SortableTable<SalesSection['byProduct'][number]>(
    byId('t-product'),
    [
      { key: 'productId', label: 'product', kind: 'text' },
      { key: 'name', label: 'name', kind: 'text', text: (r) => r.name ?? '?' },
      { key: 'units', label: 'units', kind: 'count', text: count('units') },
      { key: 'sales', label: 'salesCount', kind: 'count', text: count('sales') },
      { key: 'revenue', label: 'revenue', kind: 'money', text: money, bar: true },
    ],
    (r) => r.productId,
    { key: 'revenue', direction: 'desc' },
  ),
  region: new SortableTable<SalesSection['byRegion'][number]>(
    byId('t-region'),
    [
      { key: 'region', label: 'region', kind: 'text' },
      { key: 'units', label: 'units', kind: 'count', text: count('units') },
      { key: 'sales', label: 'salesCount', kind: 'count', text: count('sales') },
      { key: 'revenue', label: 'revenue', kind: 'money', text: money, bar: true },
    ],
    (r) => r.region,
    { key: 'revenue', direction: 'desc' },
  ),
  city: new SortableTable<SalesSection['byCity'][number]>(
    byId('t-city'),
    [
      { key: 'city', label: 'city', kind: 'text' },
      { key: 'region', label: 'region', kind: 'text', text: (r) => r.region ?? '?' },
      { key: 'units', label: 'units', kind: 'count', text: count('units') },
      { key: 'sales', label: 'salesCount', kind: 'count', text: count('sales') },
      { key: 'revenue', label: 'revenue', kind: 'money', text: money, bar: true },
    ],
    (r) => r.city,
    { key: 'revenue', direction: 'desc' },
  ),
  store: new SortableTable<SalesSection['bestStores'][number]>(
    byId('t-store'),
    [
      { key: 'storeId', label: 'store', kind: 'text' },
      { key: 'city', label: 'city', kind: 'text', text: (r) => r.city ?? '?' },
      { key: 'units', label: 'units', kind: 'count', text: count('units') },
      { key: 'sales', label: 'salesCount', kind: 'count', text: count('sales') },
      { key: 'revenue', label: 'revenue', kind: 'money', text: money, bar: true },
    ],
    (r) => r.storeId,
    { key: 'revenue', direction: 'desc' },
  ),
  workers: new SortableTable<WorkerView>(
    byId('t-workers'),
    [
      { key: 'name', label: 'worker', kind: 'text' },
      {
        key: 'alive',
        label: 'state',
        kind: 'text',
        text: (w, l) =>
          w.failed
            ? w.failed
            : !w.alive
              ? label('stopped', l)
              : w.healthy === false
                ? label('unhealthy', l)
                : `${label('running', l)} (pid ${w.pid ?? '?'})`,
        className: (w) => (w.failed || !w.alive || w.healthy === false ? 'bad' : 'ok'),
      },
      {
        key: 'ratePerSecond',
        label: 'rate',
        kind: 'count',
        text: (w, l) => (w.ratePerSecond === null ? '–' : formatDecimal(w.ratePerSecond, l)),
      },
      { key: 'restarts', label: 'restarts', kind: 'count' },
      {
        key: 'lastError',
        label: 'lastError',
        kind: 'text',
        text: (w) =>
          w.lastError ? `${w.lastError.at ? `${time(w.lastError.at)} ` : ''}${w.lastError.message}` : '–',
      },
    ],
    (w) => w.name,
  ),
  components: new SortableTable<PipelineSection['components'][number] & { state: string }>(
    byId('t-components'),
    [
      { key: 'name', label: 'component', kind: 'text' },
      { key: 'state', label: 'state', kind: 'text', className: (c) => (c.healthy ? 'ok' : 'bad') },
      { key: 'detail', label: 'detail', kind: 'text' },
    ],
    (c) => c.name,
  ),
  latency: new SortableTable<LatencyView>(
    byId('t-latency'),
    [
      { key: 'hop', label: 'hop', kind: 'text' },
      { key: 'p50', label: 'hop', kind: 'count', text: (r, l) => formatSeconds(r.p50, l) },
      { key: 'p99', label: 'hop', kind: 'count', text: (r, l) => formatSeconds(r.p99, l) },
      { key: 'count', label: 'observations', kind: 'count', text: (r, l) => formatCount(r.count, l) },
      { key: 'scope', label: 'scope', kind: 'text', text: (r, l) => label(r.scope, l) },
    ],
    (r) => r.metric,
    undefined,
    false,
  ),
  lag: new SortableTable<PartitionLag & { group: string; topic: string }>(
    byId('t-lag'),
    [
      { key: 'group', label: 'group', kind: 'text' },
      { key: 'topic', label: 'topic', kind: 'text' },
      { key: 'partition', label: 'partition', kind: 'count' },
      { key: 'nextOffset', label: 'next', kind: 'count' },
      { key: 'endOffset', label: 'end', kind: 'count' },
      { key: 'lag', label: 'behindMessages', kind: 'count', className: (r) => (r.lag ? 'bad' : undefined) },
    ],
    (r) => `${r.group}/${r.topic}/${r.partition}`,
  ),
  topics: new SortableTable<{ name: string; count: number; ends: string; total: number }>(
    byId('t-topics'),
    [
      { key: 'name', label: 'topic', kind: 'text' },
      { key: 'count', label: 'partitions', kind: 'count' },
      { key: 'ends', label: 'endOffsets', kind: 'text' },
    ],
    (r) => r.name,
  ),
  pending: new SortableTable<DeadLettersSection['pending'][number]>(
    byId('t-pending'),
    [
      { key: 'productId', label: 'product', kind: 'text' },
      { key: 'storeId', label: 'store', kind: 'text' },
      { key: 'missing', label: 'missing', kind: 'text' },
      { key: 'sales', label: 'salesCount', kind: 'count' },
    ],
    (r) => `${r.productId}/${r.storeId}`,
  ),
  rejected: new SortableTable<DeadLettersSection['rejected'][number]>(
    byId('t-rejected'),
    [
      { key: 'rejectedAt', label: 'at', kind: 'text', text: (r) => dateTime(r.rejectedAt) },
      { key: 'stage', label: 'stage', kind: 'text' },
      {
        key: 'feed',
        label: 'where',
        kind: 'text',
        text: (r) => (r.feed ? `${r.feed}:${r.line ?? '?'}` : (r.topic ?? '?')),
      },
      {
        key: 'reason',
        label: 'reason',
        kind: 'text',
        text: (r, l) => (r.replayedAt ? `${r.reason} (${label('replayed', l)})` : r.reason),
      },
      { key: 'raw', label: 'raw', kind: 'text', className: () => 'raw' },
    ],
    (r) => String(r.id),
  ),
};

/** The two charts: uPlot bars; heights are numbers, the legend shows the exact amounts. */
const charts: { minute?: uPlotType; day?: uPlotType } = {};

function chartOptions(
  container: HTMLElement,
  exact: () => string[],
  xLabel: 'minute' | 'day',
): uPlotType.Options {
  const locale = state.locale;
  return {
    width: Math.max(300, container.clientWidth),
    height: 220,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      {
        // The per-day chart: one tick a day at least (no hours between two sales days).
        ...(xLabel === 'day' ? { incrs: [86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400] } : {}),
        values: (_u, splits) => {
          // Sales days spread over years (the client's history, then today's sales): say the year.
          const years = (splits.at(-1) ?? 0) - (splits[0] ?? 0) > 300 * 86_400;
          return splits.map((s) =>
            xLabel === 'minute'
              ? new Date(s * 1000).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
              : new Date(s * 1000).toLocaleDateString(locale, {
                  timeZone: 'UTC',
                  day: '2-digit',
                  month: '2-digit',
                  ...(years ? { year: 'numeric' } : {}),
                }),
          );
        },
      },
      {
        // Wide enough for the longest label (« 3 000 000 € »), never cut on the left.
        size: (_u, values) => 24 + 8 * Math.max(4, ...(values ?? []).map((v) => String(v).length)),
        values: (_u, splits) => splits.map((s) => `${formatCount(s, locale)} €`),
      },
    ],
    series: [
      {
        label: xLabel === 'minute' ? 'minute' : locale === 'fr' ? 'jour' : 'day',
        value: (_u, v) =>
          v === null
            ? '–'
            : xLabel === 'minute'
              ? new Date(v * 1000).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
              : new Date(v * 1000).toISOString().slice(0, 10),
      },
      {
        label: label('revenue', locale),
        stroke: '#2563eb',
        fill: 'rgba(37, 99, 235, 0.35)',
        paths: UPlot.paths.bars?.({ size: [0.8, 24] }),
        points: { show: false },
        value: (u, _v, _si, idx) => {
          const i = idx ?? u.cursor.idx;
          return i === null || i === undefined ? '–' : formatMoney(exact()[i] ?? '0.00', locale);
        },
      },
    ],
  };
}

let minuteExact: string[] = [];
let dayExact: string[] = [];

function drawMinuteChart(): void {
  if (!state.sales) return;
  const now = Date.parse(state.sales.at) + (performance.now() - state.salesReceived);
  const w = minuteWindow(state.sales.perMinute, now);
  minuteExact = w.revenue;
  const data: uPlotType.AlignedData = [w.x, w.y];
  const container = byId('chart-minute');
  if (!charts.minute)
    charts.minute = new UPlot(
      chartOptions(container, () => minuteExact, 'minute'),
      data,
      container,
    );
  else charts.minute.setData(data);
}

function drawDayChart(): void {
  if (!state.sales) return;
  const days = state.sales.byDay;
  dayExact = days.map((d) => d.revenue);
  const data: uPlotType.AlignedData = [
    days.map((d) => dayToSeconds(d.day)),
    days.map((d) => Number(d.revenue)),
  ];
  const container = byId('chart-day');
  if (!charts.day)
    charts.day = new UPlot(
      chartOptions(container, () => dayExact, 'day'),
      data,
      container,
    );
  else charts.day.setData(data);
}

function renderSales(): void {
  const s = state.sales;
  if (!s) return;
  const l = state.locale;
  setText('kpi-revenue', formatMoney(s.totals.revenue, l));
  setText('kpi-units', formatCount(s.totals.units, l));
  setText('kpi-sales', formatCount(s.totals.sales, l));
  setText('kpi-pending', formatCount(s.quality.pendingSales, l));
  setText('kpi-rejected', formatCount(s.quality.rejectedRows, l));
  setText('updated', `${label('updated', l)} ${time(s.at)}`);
  tables.product.update(s.byProduct, l);
  tables.region.update(s.byRegion, l);
  tables.city.update(s.byCity, l);
  tables.store.update(s.bestStores, l);
  drawMinuteChart();
  drawDayChart();
}

function renderMilestones(): void {
  const list = byId('milestones');
  const items = (state.milestones ?? []).map((m) =>
    h(
      'li',
      { testid: 'milestone' },
      h('span', {}, m.text[state.locale]),
      h('span', { class: 'meta' }, `${dateTime(m.sentAt ?? m.detectedAt)} · ${m.status}`),
    ),
  );
  list.replaceChildren(
    ...(items.length ? items : [h('li', { class: 'muted' }, label('noMilestone', state.locale))]),
  );
}

function renderDeadLetters(): void {
  const d = state.deadLetters;
  if (!d) return;
  tables.pending.update(d.pending, state.locale);
  tables.rejected.update(d.rejected, state.locale);
}

function renderPipeline(): void {
  const p = state.pipeline;
  const l = state.locale;
  if (p) {
    tables.workers.update(p.workers, l);
    const components = p.components.map((c) => ({ ...c, state: c.healthy ? '✓' : '✗' }));
    if (p.connector)
      components.push({
        name: 'connector',
        healthy: p.connector.state === 'RUNNING' && p.connector.tasks.every((t) => t.state === 'RUNNING'),
        detail: `${p.connector.name} ${p.connector.state}; ${p.connector.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ')}`,
        state: p.connector.state,
      });
    tables.components.update(
      components.filter((c, i) => c.name !== 'connector' || !p.connector || i === components.length - 1),
      l,
    );
    const slot = p.replicationSlot;
    setText(
      'slot',
      slot
        ? `${label('slot', l)} ${slot.name}: ${slot.active ? '✓' : '✗'} ${formatBytes(slot.lagBytes, l)} (${formatCount(slot.lagBytes, l)} ${label('behind', l)})`
        : `${label('slot', l)}: –`,
    );
    byId('slot').className = `line ${slot && !slot.active ? 'bad' : ''}`;
    tables.latency.update(p.latency, l);
    // The latency table's p50/p99 headers: its columns share one label key; name them here.
    const heads = byId('t-latency').querySelectorAll('th');
    if (heads[1]) heads[1].textContent = 'p50';
    if (heads[2]) heads[2].textContent = 'p99';
    tables.lag.update(
      p.groups.flatMap((g) => g.partitions.map((x) => ({ ...x, group: g.group, topic: g.topic }))),
      l,
    );
    tables.topics.update(
      p.topics.map((t) => ({
        name: t.name,
        count: t.partitions.length,
        ends: t.partitions.map((x) => `${x.partition}:${formatCount(x.endOffset, l)}`).join('  '),
        total: t.partitions.reduce((a, x) => a + x.endOffset, 0),
      })),
      l,
    );
    byId('pipeline-errors').replaceChildren(...p.errors.map((e) => h('li', {}, e)));
  }
  renderStatus();
}

function renderStatus(): void {
  const l = state.locale;
  const problems = state.connected
    ? pipelineProblems(state.pipeline ?? null, state.sources ?? null)
    : [label('dashboardDown', l)];
  const banner = byId('banner');
  banner.hidden = problems.length === 0;
  byId('problems').replaceChildren(...problems.map((p) => h('li', {}, p)));
  const live = byId('live');
  live.textContent = !state.connected
    ? label('reconnecting', l)
    : problems.length
      ? label('degraded', l)
      : label('live', l);
  live.className = `pill ${!state.connected ? 'pill-wait' : problems.length ? 'pill-bad' : 'pill-ok'}`;
}

function renderLabels(): void {
  document.documentElement.lang = state.locale;
  document.querySelectorAll<HTMLElement>('[data-i18n]').forEach((element) => {
    element.textContent = label(element.dataset.i18n as LabelKey, state.locale);
  });
  byId('lang').textContent = state.locale === 'fr' ? 'EN' : 'FR';
  document.title = label('title', state.locale);
}

function renderAll(): void {
  renderLabels();
  for (const chart of [charts.minute, charts.day]) chart?.destroy();
  charts.minute = charts.day = undefined;
  renderSales();
  renderMilestones();
  renderDeadLetters();
  renderPipeline();
}

byId('lang').addEventListener('click', () => {
  state.locale = state.locale === 'fr' ? 'en' : 'fr';
  const url = new URL(location.href);
  url.searchParams.set('lang', state.locale);
  history.replaceState(null, '', url);
  renderAll();
});

window.addEventListener('resize', () => {
  for (const [id, chart] of [
    ['chart-minute', charts.minute],
    ['chart-day', charts.day],
  ] as const)
    chart?.setSize({ width: Math.max(300, byId(id).clientWidth), height: 220 });
});

// The minute chart's window moves with the clock even when no sale arrives.
setInterval(drawMinuteChart, 10_000);

function listen(): void {
  const events = new EventSource('/events');
  const on = <T>(type: string, apply: (data: T) => void) =>
    events.addEventListener(type, (event) => {
      apply(JSON.parse((event as MessageEvent<string>).data) as T);
    });
  events.addEventListener('open', () => {
    state.connected = true;
    renderStatus();
  });
  events.addEventListener('error', () => {
    state.connected = false;
    renderStatus();
  });
  on<SalesSection>('sales', (data) => {
    state.sales = data;
    state.salesReceived = performance.now();
    renderSales();
  });
  on<MilestoneView[]>('milestones', (data) => {
    state.milestones = data;
    renderMilestones();
  });
  on<DeadLettersSection>('deadLetters', (data) => {
    state.deadLetters = data;
    renderDeadLetters();
  });
  on<PipelineSection>('pipeline', (data) => {
    state.pipeline = data;
    renderPipeline();
  });
  on<SourcesHealth>('sources', (data) => {
    state.sources = data;
    renderStatus();
  });
}

renderAll();
listen();
