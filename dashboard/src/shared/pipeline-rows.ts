import { formatCount, type Locale } from './format.ts';
import type { PartitionLag, PipelineSection } from './types.ts';

/**
 * The pipeline section turned into the rows of the page's tables, kept pure (no DOM) so that each is
 * unit-tested: the stack's components with the connector's own state, the lag per partition, the topics.
 */

export type ComponentRow = PipelineSection['components'][number] & { state: string };

/**
 * The components, ✓ or ✗ each; when the connector's own status is known, it replaces the component
 * named `connector` by one row saying the connector's and its tasks' states.
 */
export function componentRows(p: PipelineSection): ComponentRow[] {
  const rows: ComponentRow[] = p.components.map((c) => ({ ...c, state: c.healthy ? '✓' : '✗' }));
  if (!p.connector) return rows;
  const connector = p.connector;
  return [
    ...rows.filter((c) => c.name !== 'connector'),
    {
      name: 'connector',
      healthy: connector.state === 'RUNNING' && connector.tasks.every((t) => t.state === 'RUNNING'),
      detail: `${connector.name} ${connector.state}; ${connector.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ')}`,
      state: connector.state,
    },
  ];
}

export type LagRow = PartitionLag & { group: string; topic: string };

/** One row per consumer group, topic and partition. */
export function lagRows(p: PipelineSection): LagRow[] {
  return p.groups.flatMap((g) => g.partitions.map((x) => ({ ...x, group: g.group, topic: g.topic })));
}

export interface TopicRow {
  name: string;
  count: number;
  /** `partition:end offset` for each partition, in the page's language. */
  ends: string;
  total: number;
}

export function topicRows(p: PipelineSection, locale: Locale): TopicRow[] {
  return p.topics.map((t) => ({
    name: t.name,
    count: t.partitions.length,
    ends: t.partitions.map((x) => `${x.partition}:${formatCount(x.endOffset, locale)}`).join('  '),
    total: t.partitions.reduce((a, x) => a + x.endOffset, 0),
  }));
}
