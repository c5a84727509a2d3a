import { fromCents, toCents } from '@sales-pipeline/platform';

/**
 * Money as integer cents, exact, with the platform's one parser (`toCents`): Debezium sends PostgreSQL
 * numerics as decimal strings, the rules file has JS numbers, the outbox has both.
 */
export { toCents };

/**
 * An amount from a change event's row, whose fields are untyped JSON (a decimal string, a number or null):
 * anything else is refused by `toCents`, as a malformed amount is.
 */
export const centsOf = (value: unknown): bigint => toCents(value as string | number | null | undefined);

/** Cents as a decimal string without trailing zero decimals, for Slack text: 100000n → "1000", 30n → "0.3". */
export function centsToDecimal(cents: bigint): string {
  const [whole, decimals = ''] = fromCents(cents).split('.');
  const significant = decimals.replace(/0+$/, '');
  return significant ? `${whole}.${significant}` : (whole as string);
}

/** Whether a number or string is an amount with at most two decimals. */
export function isAmount(value: unknown): boolean {
  try {
    centsOf(value);
    return value !== null && value !== undefined;
  } catch {
    return false;
  }
}
