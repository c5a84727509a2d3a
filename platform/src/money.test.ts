import { describe, expect, it } from 'vitest';
import { fromCents, toCents } from './money.ts';

describe('toCents', () => {
  it('reads decimal strings exactly, with zero, one or two decimals', () => {
    expect(toCents('5268.78')).toBe(526_878n);
    expect(toCents('12.5')).toBe(1250n);
    expect(toCents('7')).toBe(700n);
    expect(toCents('-0.05')).toBe(-5n);
    expect(toCents('-0')).toBe(0n);
    expect(toCents('99999999999999.99')).toBe(9_999_999_999_999_999n);
    expect(toCents('70368744177664.01') - toCents('70368744177664.00')).toBe(1n);
  });

  it('reads a number as it is written, and null or undefined as zero', () => {
    expect(toCents(1000)).toBe(100_000n);
    expect(toCents(0.3)).toBe(30n);
    expect(toCents(-2.5)).toBe(-250n);
    expect(toCents(null)).toBe(0n);
    expect(toCents(undefined)).toBe(0n);
  });

  it('refuses anything that is not an amount with at most two decimals, saying what it got', () => {
    for (const bad of ['1.234', '1e3', '', ' 5', '5 ', '+5', '.5', '5.', '1,50', '--1', 'abc'])
      expect(() => toCents(bad), bad).toThrow(RangeError);
    expect(() => toCents(0.1 + 0.2)).toThrow('not an amount with at most two decimals: 0.30000000000000004');
    expect(() => toCents(Number.NaN)).toThrow(RangeError);
    expect(() => toCents(Infinity)).toThrow(RangeError);
    expect(() => toCents({} as unknown as string)).toThrow(RangeError);
    expect(() => toCents('1.234')).toThrow('not an amount with at most two decimals: "1.234"');
  });
});

describe('fromCents', () => {
  it('always writes two decimals, the sign first', () => {
    expect(fromCents(526_878n)).toBe('5268.78');
    expect(fromCents(5n)).toBe('0.05');
    expect(fromCents(0n)).toBe('0.00');
    expect(fromCents(-30n)).toBe('-0.30');
    expect(fromCents(-1250n)).toBe('-12.50');
    expect(fromCents(toCents('0.10') + toCents('0.20'))).toBe('0.30');
  });
});
