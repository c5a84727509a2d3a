import { describe, expect, it } from 'vitest';
import { euros } from '@sales-pipeline/analytics/report';
import { formatBytes, formatCount, formatDecimal, formatMoney, formatSeconds } from './format.ts';

describe('formatMoney', () => {
  it('writes French amounts exactly as the report does', () => {
    for (const amount of ['0.00', '5.10', '49.99', '5268.78', '1234567.89', '-1234.50', '100000.00'])
      expect(formatMoney(amount, 'fr')).toBe(euros(amount));
    expect(formatMoney('5268.78')).toBe('5\u202f268,78 €');
  });

  it('writes English amounts with the euro sign first', () => {
    expect(formatMoney('5268.78', 'en')).toBe('€5,268.78');
    expect(formatMoney('-1234567.8', 'en')).toBe('-€1,234,567.80');
    expect(formatMoney('0.05', 'en')).toBe('€0.05');
  });

  it('never rounds: the digits are the server’s', () => {
    expect(formatMoney('90071992547409.93', 'en')).toBe('€90,071,992,547,409.93');
  });
});

describe('counts, rates, durations and sizes', () => {
  it('groups digits by locale', () => {
    expect(formatCount(1234567, 'fr')).toBe('1\u202f234\u202f567');
    expect(formatCount(1234567, 'en')).toBe('1,234,567');
    expect(formatCount(Number.NaN)).toBe('–');
    expect(formatDecimal(1234.56, 'fr')).toBe('1\u202f234,6');
    expect(formatDecimal(-0.25, 'en', 2)).toBe('-0.25');
  });

  it('writes seconds as ms or s', () => {
    expect(formatSeconds(0.0042, 'fr')).toBe('4,2 ms');
    expect(formatSeconds(0.25, 'en')).toBe('250 ms');
    expect(formatSeconds(1.5, 'fr')).toBe('1,5 s');
    expect(formatSeconds(null)).toBe('–');
  });

  it('writes bytes in binary units', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(1536, 'fr')).toBe('1,5 KiB');
    expect(formatBytes(5 * 1024 * 1024, 'en')).toBe('5.0 MiB');
  });
});
