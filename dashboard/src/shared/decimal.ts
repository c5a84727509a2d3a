/**
 * Exact money arithmetic on the decimal strings PostgreSQL sends (`numeric::text`, e.g. `5268.78`):
 * amounts are carried as whole cents in a bigint, never as a float. Pure; runs in Node and the browser.
 */

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/** `"-12.5"` → `-1250n`. Throws on anything that is not a decimal with at most two decimals. */
export function toCents(decimal: string): bigint {
  const match = DECIMAL.exec(decimal.trim());
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(decimal)}`);
  const cents = BigInt(match[2] as string) * 100n + BigInt((match[3] ?? '0').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** `-1250n` → `"-12.50"`. */
export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

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
