import { describe, expect, it } from 'vitest';
import { fakeWorker } from '../../test/fake-sections.ts';
import type { PipelineSection, SourcesHealth } from './types.ts';
import { barLengths, dayToSeconds, minuteWindow, pipelineProblems, sortRows } from './view.ts';

describe('sortRows', () => {
  const rows = [
    { id: 'b', name: 'Été', revenue: '9.99', units: 10 },
    { id: 'a', name: 'abc', revenue: '100.00', units: 2 },
    { id: 'c', name: null, revenue: '10.00', units: 2 },
  ];

  it('sorts money by exact value, counts as numbers, text by locale with nulls last; ties keep order', () => {
    expect(sortRows(rows, 'revenue', 'money', 'desc').map((r) => r.id)).toEqual(['a', 'c', 'b']);
    expect(sortRows(rows, 'revenue', 'money', 'asc').map((r) => r.id)).toEqual(['b', 'c', 'a']);
    expect(sortRows(rows, 'units', 'count', 'asc').map((r) => r.id)).toEqual(['a', 'c', 'b']);
    expect(sortRows(rows, 'name', 'text', 'asc').map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(sortRows(rows, 'name', 'text', 'desc').map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(rows.map((r) => r.id)).toEqual(['b', 'a', 'c']);
  });
});

describe('barLengths', () => {
  it('gives percents of the largest value', () => {
    expect(barLengths(['50.00', '100.00', '0.00', '33.33'])).toEqual([50, 100, 0, 33.3]);
    expect(barLengths(['0.00'])).toEqual([0]);
    expect(barLengths(['-5.00', '5.00'])).toEqual([0, 100]);
    expect(barLengths([])).toEqual([]);
  });
});

describe('minuteWindow', () => {
  it('fills the last hour minute by minute, missing minutes at zero, exact strings kept', () => {
    const now = Date.UTC(2026, 0, 1, 12, 30, 45);
    const minute = Date.UTC(2026, 0, 1, 12, 30);
    const w = minuteWindow(
      [
        { minute, revenue: '10.10', units: 1, sales: 1 },
        { minute: minute - 60_000 * 5, revenue: '0.30', units: 3, sales: 2 },
        { minute: minute - 60_000 * 60, revenue: '99.00', units: 1, sales: 1 },
      ],
      now,
    );
    expect(w.x).toHaveLength(60);
    expect(w.x.at(-1)).toBe(minute / 1000);
    expect(w.x[0]).toBe((minute - 59 * 60_000) / 1000);
    expect(w.revenue.at(-1)).toBe('10.10');
    expect(w.revenue.at(-6)).toBe('0.30');
    expect(w.y.at(-6)).toBeCloseTo(0.3);
    expect(w.sales.filter((s) => s > 0)).toEqual([2, 1]);
    expect(w.revenue).not.toContain('99.00');
  });

  it('maps a sales day to its UTC midnight', () => {
    expect(dayToSeconds('2023-05-27')).toBe(Date.UTC(2023, 4, 27) / 1000);
  });
});

describe('pipelineProblems', () => {
  const healthy: PipelineSection = {
    at: '',
    healthy: true,
    mode: 'native',
    components: [
      { name: 'postgres', healthy: true, detail: 'ok' },
      { name: 'connector', healthy: true, detail: 'RUNNING' },
    ],
    supervisor: { pid: 1, alive: true, demo: false, startedAt: '' },
    workers: [fakeWorker({ name: 'consumer', pid: 2, ratePerSecond: 1 })],
    connector: { name: 'sales-cdc', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] },
    replicationSlot: { name: 'slot', active: true, lagBytes: 0 },
    topics: [],
    groups: [],
    latency: [],
    errors: [],
  };
  const sources: SourcesHealth = {
    at: '',
    database: { ok: true, error: null, since: null },
    pipeline: { ok: true, error: null, since: null },
  };

  it('is empty when everything is up', () => {
    expect(pipelineProblems(healthy, sources)).toEqual([]);
  });

  it('names what is down', () => {
    const down: PipelineSection = {
      ...healthy,
      components: [{ name: 'postgres', healthy: false, detail: 'not answering' }],
      workers: [
        { ...(healthy.workers[0] as PipelineSection['workers'][number]), alive: false, pid: null },
        fakeWorker({
          name: 'notifier',
          alive: false,
          healthy: false,
          restarts: 6,
          failed: 'crashed 6 times',
        }),
      ],
      connector: { name: 'sales-cdc', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED' }] },
      replicationSlot: { name: 'slot', active: false, lagBytes: 10 },
    };
    expect(
      pipelineProblems(down, { ...sources, database: { ok: false, error: 'ECONNREFUSED', since: '' } }),
    ).toEqual([
      'database unreachable: ECONNREFUSED',
      'consumer is not running',
      'notifier: crashed 6 times',
      'postgres: not answering',
      'connector task 0 is FAILED',
      'replication slot slot is inactive',
    ]);
    expect(pipelineProblems({ ...healthy, mode: 'none', workers: [], connector: null }, null)).toEqual([
      'the stack is not running',
      'no worker is running (start them with: sales-pipeline up)',
    ]);
  });
});
