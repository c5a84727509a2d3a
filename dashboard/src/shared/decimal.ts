/**
 * Exact money arithmetic on the decimal strings PostgreSQL sends (`numeric::text`, e.g. `5268.78`):
 * amounts are carried as whole cents in a bigint, never as a float, parsed by the platform's `toCents`
 * (see money.ts). Pure; runs in Node and the browser.
 */
import { fromCents, toCents } from './money.ts';

export { fromCents, toCents };

/** `a − b`, exactly. */
export function subtractDecimal(a: string, b: string): string {
  return fromCents(toCents(a) - toCents(b));
}

/** `a + b`, exactly. */
export function addDecimal(a: string, b: string): string {
  return fromCents(toCents(a) + toCents(b));
}

/** Orders two decimal strings by value (for sorting): negative, zero or positive. */
export function compareDecimal(a: string, b: string): number {
  const d = toCents(a) - toCents(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
