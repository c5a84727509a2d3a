import { describe, expect, it } from 'vitest';
import { clock, etaSeconds, progressLine } from './progress.ts';

describe('progressLine', () => {
  it('draws a bar of the bytes published, the rows, the rejected lines, the rate and the time left', () => {
    expect(
      progressLine({
        feed: 'history',
        rows: 420_000,
        rejected: 3,
        offset: 42,
        total: 100,
        rowsPerSecond: 24_950.4,
        etaSeconds: 83,
      }),
    ).toBe('history [##########..............] 42.0% 420,000 rows, 3 rejected, 24,950 rows/s, ETA 1:23');
  });

  it('leaves out the bar and the ETA when the size is unknown, and strips control characters from the name', () => {
    expect(
      progressLine({
        feed: 'a\u001b[2Jb',
        rows: 5,
        rejected: 0,
        offset: 10,
        total: undefined,
        rowsPerSecond: 1,
        etaSeconds: undefined,
      }),
    ).toBe('a?[2Jb 5 rows, 0 rejected, 1 rows/s');
  });
});

describe('etaSeconds', () => {
  it('is the bytes left at the byte rate since the run started, from where it resumed', () => {
    // Resumed at byte 500 of 1,000; 250 more bytes in 5 s: 250 left at 50 B/s.
    expect(etaSeconds(500, 750, 1000, 5000)).toBe(5);
  });

  it('cannot be told before a second has passed, without a size, or before a byte was read', () => {
    expect(etaSeconds(0, 10, 100, 500)).toBeUndefined();
    expect(etaSeconds(0, 10, undefined, 5000)).toBeUndefined();
    expect(etaSeconds(10, 10, 100, 5000)).toBeUndefined();
  });
});

describe('clock', () => {
  it('gives minutes and seconds, and hours when there are some', () => {
    expect(clock(5)).toBe('0:05');
    expect(clock(3725)).toBe('1:02:05');
  });
});
