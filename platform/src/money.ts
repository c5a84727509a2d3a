/**
 * Money as integer cents, exact: PostgreSQL's `numeric` arrives as a decimal string (`numeric::text`,
 * Debezium's `decimal.handling.mode=string`), and a double cannot tell one cent from the next above 2^46 €.
 * No import: the dashboard's page loads this module in the browser as it is.
 */

/** An amount: optional leading `-`, digits, then at most two decimals (`"5268.78"`, `"-0.3"`, `"7"`). */
const AMOUNT = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/**
 * `"5268.78"` → `526878n`, `"-0.3"` → `-30n`; a number is read as written (`0.3` → `30n`); null or
 * undefined → `0n`. Throws a RangeError on anything else (`"1e3"`, `"1.234"`, `" 5"`, `NaN`).
 */
export function toCents(decimal: string | number | null | undefined): bigint {
  if (decimal === null || decimal === undefined) return 0n;
  const text = typeof decimal === 'string' || typeof decimal === 'number' ? String(decimal) : undefined;
  const match = text === undefined ? null : AMOUNT.exec(text);
  if (!match) {
    const shown = typeof decimal === 'string' ? JSON.stringify(decimal) : String(decimal);
    throw new RangeError(`not an amount with at most two decimals: ${shown}`);
  }
  const cents = BigInt(match[2] as string) * 100n + BigInt((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** `526878n` → `"5268.78"`, `-30n` → `"-0.30"`: always two decimals. */
export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
