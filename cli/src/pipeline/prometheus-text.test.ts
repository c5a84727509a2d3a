import { describe, expect, it } from 'vitest';
import { parseSampleLine, parseSamples, sumCounter } from './prometheus-text.ts';

describe('parseSamples', () => {
  it('reads names, escaped label values and values, and skips comments and timestamps', () => {
    const text = [
      '# TYPE notifier_posts_total counter',
      'notifier_posts_total{status="ok",note="a \\"quoted\\", a\\\\b"} 3 1700000000000',
      'process_start_time_seconds 1.7e9',
      '',
    ].join('\n');
    expect(parseSamples(text)).toEqual([
      { name: 'notifier_posts_total', labels: { status: 'ok', note: 'a "quoted", a\\b' }, value: 3 },
      { name: 'process_start_time_seconds', labels: {}, value: 1.7e9 },
    ]);
  });

  it('leaves out a malformed line', () => {
    expect(parseSampleLine('broken{kind="sale" 3')).toBeUndefined();
    expect(parseSampleLine('no_value')).toBeUndefined();
  });

  it('matches a label value exactly, not as a substring of another label', () => {
    const text = 'x_total{kind="sale",other="kind=\\"sale\\""} 1\nx_total{kind="sales"} 5';
    expect(sumCounter(text, 'x_total', 'kind="sale"')).toBe(1);
  });
});
