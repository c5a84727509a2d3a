/// <reference lib="dom" />
import type { Locale } from '../shared/format.ts';
import type { DashboardSections } from '../shared/types.ts';
import { createCharts } from './charts.ts';
import { createCorrectionsPanel } from './corrections-panel.ts';
import { createDeadLetterPanels } from './dead-letter-panels.ts';
import { createExplainPanel } from './explain-panel.ts';
import { createTrustPanel } from './trust-panel.ts';
import { createSourcesPanel } from './sources-panel.ts';
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
 * is built and drawn by its own module: sales-panels, corrections-panel, charts, milestones-panel,
 * pipeline-panels, dead-letter-panels, status, trust-panel, explain-panel.
 */

const params = new URLSearchParams(location.search);
/** The sections as last received. */
const sections: Partial<DashboardSections> = {};
/** The page's own state: its language, when the sales arrived (performance.now()), the stream's state. */
const state: { locale: Locale; salesReceived: number; connected: boolean } = {
  locale: params.get('lang') === 'en' ? 'en' : 'fr',
  salesReceived: 0,
  connected: false,
};

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString(state.locale) : '–');
const dateTime = (iso: string | null) => (iso ? new Date(iso).toLocaleString(state.locale) : '–');

// In page order: each appends its panels to its place in index.html.
const explain = createExplainPanel(() => state.locale);
const sales = createSalesPanels((dimension, key) => explain.open(dimension, key));
const trust = createTrustPanel(dateTime);
const sourcesPanel = createSourcesPanel(dateTime);
const corrections = createCorrectionsPanel(dateTime);
const charts = createCharts();
const pipeline = createPipelinePanels(time);
const deadLetters = createDeadLetterPanels(dateTime);

function drawMinuteChart(): void {
  if (!sections.sales) return;
  charts.drawMinute(
    sections.sales,
    Date.parse(sections.sales.at) + (performance.now() - state.salesReceived),
    state.locale,
  );
}

function renderSales(): void {
  const s = sections.sales;
  if (!s) return;
  sales.render(s, state.locale);
  trust.render(s, state.locale);
  sourcesPanel.render(s, state.locale);
  corrections.render(s, state.locale);
  setText('updated', `${label('updated', state.locale)} ${time(s.at)}`);
  drawMinuteChart();
  charts.drawDay(s, state.locale);
}

const renderMilestoneList = () => renderMilestones(sections.milestones ?? [], state.locale, dateTime);

function renderDeadLetters(): void {
  if (sections.deadLetters) deadLetters.render(sections.deadLetters, state.locale);
}

const renderHealth = () =>
  renderStatus(state.connected, sections.pipeline ?? null, sections.sources ?? null, state.locale);

function renderPipeline(): void {
  if (sections.pipeline) pipeline.render(sections.pipeline, state.locale);
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

/** What to redraw when a section arrives: only the panels that show it. */
const redraw: { [K in keyof DashboardSections]: () => void } = {
  sales: renderSales,
  milestones: renderMilestoneList,
  deadLetters: renderDeadLetters,
  pipeline: renderPipeline,
  sources: renderHealth,
};

function receive<K extends keyof DashboardSections>(type: K, json: string): void {
  sections[type] = JSON.parse(json) as DashboardSections[K];
  // The minute chart's clock: the server's time of the sales plus the time since they arrived.
  if (type === 'sales') state.salesReceived = performance.now();
  redraw[type]();
}

function listen(): void {
  const events = new EventSource('/events');
  const connected = (up: boolean) => () => {
    state.connected = up;
    renderHealth();
  };
  events.addEventListener('open', connected(true));
  events.addEventListener('error', connected(false));
  for (const type of Object.keys(redraw) as Array<keyof DashboardSections>)
    events.addEventListener(type, (event) => receive(type, (event as MessageEvent<string>).data));
}

renderAll();
listen();
