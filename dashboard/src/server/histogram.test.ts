import { describe, expect, it } from 'vitest';
import { histogramQuantile, LatencyWindow, parseHistogram, subtractHistogram } from './histogram.ts';

const scrape = (counts: [string, number][], other = 0) =>
  [
    '# HELP consumer_line_to_row_seconds From the line to its row',
    '# TYPE consumer_line_to_row_seconds histogram',
    ...counts.map(([le, n]) => `consumer_line_to_row_seconds_bucket{le="${le}",service="consumer"} ${n}`),
    ...counts.map(([le]) => `consumer_line_to_row_seconds_bucket{le="${le}",service="other"} ${other}`),
    `consumer_line_to_row_seconds_sum{service="consumer"} 12.5`,
    `consumer_line_to_row_seconds_count{service="consumer"} ${counts.at(-1)?.[1] ?? 0}`,
    'consumer_line_to_row_seconds_total 3',
  ].join('\n');

describe('latency histograms', () => {
  it('parses the buckets, summed over label sets', () => {
    const h = parseHistogram(
      scrape(
        [
          ['0.1', 10],
          ['0.5', 90],
          ['+Inf', 100],
        ],
        1,
      ),
      'consumer_line_to_row_seconds',
    );
    expect(h).toEqual({
      buckets: [
        { le: 0.1, count: 11 },
        { le: 0.5, count: 91 },
        { le: Infinity, count: 101 },
      ],
      count: 101,
    });
    expect(parseHistogram('other_bucket{le="1"} 3', 'consumer_line_to_row_seconds')).toBeUndefined();
  });

  it('interpolates quantiles within a bucket, as histogram_quantile does', () => {
    const h = parseHistogram(
      scrape([
        ['0.1', 10],
        ['0.5', 90],
        ['+Inf', 100],
      ]),
      'consumer_line_to_row_seconds',
    );
    if (!h) throw new Error('no histogram');
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.1 + 0.4 * (40 / 80));
    expect(histogramQuantile(h, 0.05)).toBeCloseTo(0.05);
    expect(histogramQuantile(h, 0.99)).toBe(0.5);
    expect(histogramQuantile({ buckets: [{ le: Infinity, count: 0 }], count: 0 }, 0.5)).toBeNull();
  });

  it('takes the observations between two scrapes; a restart resets to the later one', () => {
    const a = {
      buckets: [
        { le: 1, count: 5 },
        { le: Infinity, count: 6 },
      ],
      count: 6,
    };
    const b = {
      buckets: [
        { le: 1, count: 9 },
        { le: Infinity, count: 12 },
      ],
      count: 12,
    };
    expect(subtractHistogram(b, a)).toEqual({
      buckets: [
        { le: 1, count: 4 },
        { le: Infinity, count: 6 },
      ],
      count: 6,
    });
    expect(subtractHistogram(a, b)).toBe(a);
  });

  it('reports the last minute when it has observations, the lifetime otherwise', () => {
    const w = new LatencyWindow(60_000);
    const h = (fast: number, slow: number) => ({
      buckets: [
        { le: 0.1, count: fast },
        { le: 1, count: fast + slow },
        { le: Infinity, count: fast + slow },
      ],
      count: fast + slow,
    });
    expect(w.quantiles('m')).toEqual({ p50: null, p99: null, count: 0, scope: 'lifetime' });
    w.observe('m', h(100, 0), 0);
    expect(w.quantiles('m')).toMatchObject({ count: 100, scope: 'lifetime' });
    w.observe('m', h(100, 0), 30_000);
    expect(w.quantiles('m')).toMatchObject({ count: 100, scope: 'lifetime' });
    w.observe('m', h(100, 50), 70_000);
    const q = w.quantiles('m');
    expect(q).toMatchObject({ count: 50, scope: 'window' });
    expect(q.p50).toBeGreaterThan(0.1);
    w.observe('m', h(100, 50), 200_000);
    expect(w.quantiles('m')).toMatchObject({ count: 150, scope: 'lifetime' });
  });
});
