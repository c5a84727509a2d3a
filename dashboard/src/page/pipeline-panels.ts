/// <reference lib="dom" />
import { formatBytes, formatCount, formatDecimal, formatSeconds, type Locale } from '../shared/format.ts';
import {
  componentRows,
  lagRows,
  topicRows,
  type ComponentRow,
  type LagRow,
  type TopicRow,
} from '../shared/pipeline-rows.ts';
import type { LatencyView, PipelineSection, WorkerView } from '../shared/types.ts';
import { byId, h, setText, SortableTable, tablePanel, type Column } from './dom.ts';
import { label, type LabelKey } from './i18n.ts';

/**
 * The pipeline section's panels: the workers, the stack's components and the replication slot, the
 * latency per hop, the consumer groups' lag, the topics, and the errors of the status read.
 */

const PARENT = 'pipeline-panels';

/** A panel of the pipeline grid with its title and its table (id `t-<name>`, data-testid `name`). */
const panel = (title: LabelKey, name: string) => tablePanel(PARENT, title, name, name);

function workerColumns(time: (iso: string | null) => string): Array<Column<WorkerView>> {
  return [
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
  ];
}

const COMPONENT_COLUMNS: Array<Column<ComponentRow>> = [
  { key: 'name', label: 'component', kind: 'text' },
  { key: 'state', label: 'state', kind: 'text', className: (c) => (c.healthy ? 'ok' : 'bad') },
  { key: 'detail', label: 'detail', kind: 'text' },
];

// p50 and p99 share the `hop` label key: render() names their headers.
const LATENCY_COLUMNS: Array<Column<LatencyView>> = [
  { key: 'hop', label: 'hop', kind: 'text' },
  { key: 'p50', label: 'hop', kind: 'count', text: (r, l) => formatSeconds(r.p50, l) },
  { key: 'p99', label: 'hop', kind: 'count', text: (r, l) => formatSeconds(r.p99, l) },
  { key: 'count', label: 'observations', kind: 'count', text: (r, l) => formatCount(r.count, l) },
  { key: 'scope', label: 'scope', kind: 'text', text: (r, l) => label(r.scope, l) },
];

const LAG_COLUMNS: Array<Column<LagRow>> = [
  { key: 'group', label: 'group', kind: 'text' },
  { key: 'topic', label: 'topic', kind: 'text' },
  { key: 'partition', label: 'partition', kind: 'count' },
  { key: 'nextOffset', label: 'next', kind: 'count' },
  { key: 'endOffset', label: 'end', kind: 'count' },
  { key: 'lag', label: 'behindMessages', kind: 'count', className: (r) => (r.lag ? 'bad' : undefined) },
];

const TOPIC_COLUMNS: Array<Column<TopicRow>> = [
  { key: 'name', label: 'topic', kind: 'text' },
  { key: 'count', label: 'partitions', kind: 'count' },
  { key: 'ends', label: 'endOffsets', kind: 'text' },
];

function renderSlot(slot: PipelineSection['replicationSlot'], l: Locale): void {
  setText(
    'slot',
    slot
      ? `${label('slot', l)} ${slot.name}: ${slot.active ? '✓' : '✗'} ${formatBytes(slot.lagBytes, l)} (${formatCount(slot.lagBytes, l)} ${label('behind', l)})`
      : `${label('slot', l)}: –`,
  );
  byId('slot').className = `line ${slot && !slot.active ? 'bad' : ''}`;
}

export interface PipelinePanels {
  render(pipeline: PipelineSection, locale: Locale): void;
}

/** Builds the pipeline panels into #pipeline-panels; `time` writes a timestamp as the page does. */
export function createPipelinePanels(time: (iso: string | null) => string): PipelinePanels {
  const workers = new SortableTable(panel('workers', 'workers'), workerColumns(time), (w) => w.name);
  const components = new SortableTable(panel('stack', 'components'), COMPONENT_COLUMNS, (c) => c.name);
  byId('t-components').after(h('p', { id: 'slot', class: 'line', testid: 'slot' }));
  // Not sortable: the hops are in the pipeline's order.
  const latency = new SortableTable(
    panel('latency', 'latency'),
    LATENCY_COLUMNS,
    (r) => r.metric,
    undefined,
    false,
  );
  const lag = new SortableTable(
    panel('lag', 'lag'),
    LAG_COLUMNS,
    (r) => `${r.group}/${r.topic}/${r.partition}`,
  );
  const topics = new SortableTable(panel('topics', 'topics'), TOPIC_COLUMNS, (r) => r.name);
  return {
    render(p, l) {
      workers.update(p.workers, l);
      components.update(componentRows(p), l);
      renderSlot(p.replicationSlot, l);
      latency.update(p.latency, l);
      // The latency table's p50/p99 headers: its columns share one label key; name them here.
      const heads = byId('t-latency').querySelectorAll('th');
      if (heads[1]) heads[1].textContent = 'p50';
      if (heads[2]) heads[2].textContent = 'p99';
      lag.update(lagRows(p), l);
      topics.update(topicRows(p, l), l);
      byId('pipeline-errors').replaceChildren(...p.errors.map((e) => h('li', {}, e)));
    },
  };
}
