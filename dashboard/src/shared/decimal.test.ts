import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, fromCents, subtractDecimal, toCents } from './decimal.ts';

describe('decimal amounts', () => {
  it('parses and prints exactly, in cents', () => {
    expect(toCents('5268.78')).toBe(526878n);
    expect(toCents('12.5')).toBe(1250n);
    expect(toCents('7')).toBe(700n);
    expect(toCents('-0.05')).toBe(-5n);
    expect(fromCents(-1250n)).toBe('-12.50');
    expect(fromCents(5n)).toBe('0.05');
    expect(toCents('99999999999999.99')).toBe(9999999999999999n);
    expect(() => toCents('1e3')).toThrow(RangeError);
    expect(() => toCents('1.234')).toThrow(RangeError);
  });

  it('adds and subtracts with no float error', () => {
    expect(addDecimal('0.10', '0.20')).toBe('0.30');
    expect(subtractDecimal('5268.78', '5000.79')).toBe('267.99');
    expect(subtractDecimal('1.00', '2.50')).toBe('-1.50');
  });

  it('orders by value, not by text', () => {
    expect(compareDecimal('9.99', '10.00')).toBe(-1);
    expect(compareDecimal('100.00', '100')).toBe(0);
    expect(compareDecimal('-1.00', '-2.00')).toBe(1);
  });
});
