import { describe, expect, it } from 'vitest';
import { fakePipeline } from '../../test/fake-sections.ts';
import { componentRows, lagRows, topicRows } from './pipeline-rows.ts';

describe('componentRows', () => {
  it("replaces the connector component by one row with the connector's and its tasks' states", () => {
    const p = fakePipeline();
    const rows = componentRows({
      ...p,
      connector: { name: 'cdc', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED' }] },
    });
    expect(rows.map((r) => [r.name, r.state, r.healthy])).toEqual([
      ['postgres', '✓', true],
      ['kafka', '✓', true],
      ['connect', '✓', true],
      ['connector', 'RUNNING', false],
    ]);
    expect(rows.at(-1)?.detail).toBe('cdc RUNNING; task 0 FAILED');
  });

  it("keeps the components as they are when the connector's own state is not known", () => {
    const p = fakePipeline();
    const components = [...p.components.slice(0, 3), { name: 'connector', healthy: false, detail: 'down' }];
    const rows = componentRows({ ...p, components, connector: null });
    expect(rows.map((r) => [r.name, r.state, r.detail])).toEqual(
      components.map((c) => [c.name, c.healthy ? '✓' : '✗', c.detail]),
    );
  });
});

describe('lagRows and topicRows', () => {
  it('gives a row per group, topic and partition, and per topic its end offsets in the language', () => {
    const p = fakePipeline();
    expect(lagRows(p).map((r) => `${r.group}/${r.topic}/${r.partition}:${r.lag}`)).toEqual([
      'sales-pipeline.consumer/sales/0:1',
      'sales-pipeline.consumer/sales/1:1',
      'sales-pipeline.consumer/sales/2:1',
    ]);
    const big = { ...p, topics: [{ name: 'sales', partitions: [{ partition: 0, endOffset: 12345 }] }] };
    expect(topicRows(big, 'en')).toEqual([{ name: 'sales', count: 1, ends: '0:12,345', total: 12345 }]);
    expect(topicRows(p, 'fr')[0]?.ends).toBe('0:100  1:101  2:102');
  });
});
