/**
 * Money as integer cents: exact. Debezium sends PostgreSQL numerics as decimal strings
 * ("decimal.handling.mode": "string"); a double cannot tell one cent from the next above 2^46 €.
 */
const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/** A decimal amount (`"1234.5"`, `"-0.07"`, or a JS number written the same way) as cents; null is 0. */
export function toCents(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  const text = String(value);
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`not an amount with at most two decimals: ${JSON.stringify(text)}`);
  const cents = BigInt(match[2] as string) * 100n + BigInt((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** Cents as a decimal string without trailing zero decimals: 100000n → "1000", 30n → "0.3". */
export function centsToDecimal(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  const decimals = String(abs % 100n)
    .padStart(2, '0')
    .replace(/0+$/, '');
  return `${sign}${abs / 100n}${decimals ? `.${decimals}` : ''}`;
}

/** Whether a number or string is an amount with at most two decimals. */
export function isAmount(value: unknown): boolean {
  return DECIMAL.test(String(value));
}
