/// <reference lib="dom" />
import type { Locale } from '../shared/format.ts';
import type { DashboardSections } from '../shared/types.ts';
import { createCharts } from './charts.ts';
import { createDeadLetterPanels } from './dead-letter-panels.ts';
import { byId, setText } from './dom.ts';
import { label, type LabelKey } from './i18n.ts';
import { renderMilestones } from './milestones-panel.ts';
import { createPipelinePanels } from './pipeline-panels.ts';
import { createSalesPanels } from './sales-panels.ts';
import { renderStatus } from './status.ts';

/**
 * The dashboard page: plain ES modules, no build step but tsc. It listens to the server's event stream
 * (/events) and redraws the section that changed; EventSource reconnects by itself after the server or
 * the network went away. Every string from the data goes through textContent (see dom.ts). Each panel
 * is built and drawn by its own module: sales-panels, charts, milestones-panel, pipeline-panels,
 * dead-letter-panels, status.
 */

const params = new URLSearchParams(location.search);
/** The sections as last received, and the page's own state. */
const state: Partial<DashboardSections> & { locale: Locale; salesReceived: number; connected: boolean } = {
  locale: params.get('lang') === 'en' ? 'en' : 'fr',
  salesReceived: 0,
  connected: false,
};

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString(state.locale) : '–');
const dateTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString(state.locale) : '–');

// In page order: each appends its panels to its place in index.html.
const sales = createSalesPanels();
const charts = createCharts();
const pipeline = createPipelinePanels(time);
const deadLetters = createDeadLetterPanels(dateTime);

function drawMinuteChart(): void {
  if (!state.sales) return;
  charts.drawMinute(
    state.sales,
    Date.parse(state.sales.at) + (performance.now() - state.salesReceived),
    state.locale,
  );
}

function renderSales(): void {
  const s = state.sales;
  if (!s) return;
  sales.render(s, state.locale);
  setText('updated', `${label('updated', state.locale)} ${time(s.at)}`);
  drawMinuteChart();
  charts.drawDay(s, state.locale);
}

const renderMilestoneList = () => renderMilestones(state.milestones ?? [], state.locale, dateTime);

function renderDeadLetters(): void {
  if (state.deadLetters) deadLetters.render(state.deadLetters, state.locale);
}

const renderHealth = () =>
  renderStatus(state.connected, state.pipeline ?? null, state.sources ?? null, state.locale);

function renderPipeline(): void {
  if (state.pipeline) pipeline.render(state.pipeline, state.locale);
  renderHealth();
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
  charts.destroy();
  renderSales();
  renderMilestoneList();
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

window.addEventListener('resize', () => charts.resize());

// The minute chart's window moves with the clock even when no sale arrives.
setInterval(drawMinuteChart, 10_000);

function listen(): void {
  const events = new EventSource('/events');
  const on = <K extends keyof DashboardSections>(type: K, apply: (data: DashboardSections[K]) => void) =>
    events.addEventListener(type, (event) => {
      apply(JSON.parse((event as MessageEvent<string>).data) as DashboardSections[K]);
    });
  events.addEventListener('open', () => {
    state.connected = true;
    renderHealth();
  });
  events.addEventListener('error', () => {
    state.connected = false;
    renderHealth();
  });
  on('sales', (data) => {
    state.sales = data;
    state.salesReceived = performance.now();
    renderSales();
  });
  on('milestones', (data) => {
    state.milestones = data;
    renderMilestoneList();
  });
  on('deadLetters', (data) => {
    state.deadLetters = data;
    renderDeadLetters();
  });
  on('pipeline', (data) => {
    state.pipeline = data;
    renderPipeline();
  });
  on('sources', (data) => {
    state.sources = data;
    renderHealth();
  });
}

renderAll();
listen();
