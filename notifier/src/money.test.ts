import { describe, expect, it } from 'vitest';
import { centsOf, centsToDecimal, isAmount } from './money.ts';

describe('notifier money', () => {
  it('writes cents for Slack text without trailing zero decimals', () => {
    expect(centsToDecimal(100_000n)).toBe('1000');
    expect(centsToDecimal(30n)).toBe('0.3');
    expect(centsToDecimal(1050n)).toBe('10.5');
    expect(centsToDecimal(-5n)).toBe('-0.05');
    expect(centsToDecimal(0n)).toBe('0');
  });

  it("reads a change event's untyped amount with the platform's parser", () => {
    expect(centsOf('70368744177664.02')).toBe(7_036_874_417_766_402n);
    expect(centsOf(499.9)).toBe(49_990n);
    expect(centsOf(null)).toBe(0n);
    expect(() => centsOf(true)).toThrow(RangeError);
    expect(() => centsOf('1.234')).toThrow(RangeError);
  });

  it('tells an amount with at most two decimals', () => {
    expect(isAmount(499.9)).toBe(true);
    expect(isAmount(0.001)).toBe(false);
    expect(isAmount(null)).toBe(false);
  });
});
