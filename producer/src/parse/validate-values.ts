/** A parsed value, or why the text is not one. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

/** Quantities above this (either sign) are taken for typing errors: QUANTITY_MAX's default. */
export const MAX_QUANTITY = 10_000;

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `YYYY-MM-DD` (or the French `DD/MM/YYYY`) naming a real calendar day between 1990 and 2100. */
export function parseSaleDate(text: string): Parsed<string> {
  const value = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const french = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  const [year, month, day] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : french
      ? [Number(french[3]), Number(french[2]), Number(french[1])]
      : [NaN, NaN, NaN];
  if (Number.isNaN(year))
    return bad(`unparsable date ${JSON.stringify(value.slice(0, 40))} (expected YYYY-MM-DD)`);
  if (!isRealDate(year, month, day)) return bad(`no such date ${JSON.stringify(value)}`);
  if (year < 1990 || year > 2100) return bad(`date ${value} is out of range (1990-2100)`);
  const pad = (n: number) => String(n).padStart(2, '0');
  return ok(`${year}-${pad(month)}-${pad(day)}`);
}

/**
 * A whole number of units, 1 to `max` (QUANTITY_MAX), or -1 to -`max`: a negative quantity is a return.
 * `"5.0"` is 5, `"-2"` a return of 2; `"2.5"`, `"0"` and `"20000"` are refused.
 */
export function parseQuantity(text: string, max = MAX_QUANTITY): Parsed<number> {
  const value = text.trim();
  const match = /^([+-]?)\s*(\d{1,9})(?:[.,](\d+))?$/.exec(value);
  if (!match) return bad(`unparsable quantity ${JSON.stringify(value.slice(0, 40))}`);
  if (match[3] && /[1-9]/.test(match[3])) return bad(`fractional quantity ${value}`);
  const units = Number(match[2]);
  if (units === 0) return bad('quantity is zero');
  if (units > max) {
    return bad(
      `absurd quantity ${match[1] === '-' ? '-' : ''}${units} (more than ${max} either way, QUANTITY_MAX)`,
    );
  }
  return ok(match[1] === '-' ? -units : units);
}

/**
 * A price as an exact decimal string with two decimals: `"49.99"`, `"49,99"` and `"1 234,5"` give
 * `"49.99"`, `"49.99"` and `"1234.50"`. Never goes through floating point.
 */
export function parsePrice(text: string): Parsed<string> {
  const value = text.trim().replace(/[\s\u00a0\u202f]/g, '');
  const match = /^(\d{1,10})(?:[.,](\d{1,2}))?$/.exec(value);
  if (!match) {
    if (/^-/.test(value)) return bad(`negative price ${value}`);
    return bad(`unparsable price ${JSON.stringify(text.trim().slice(0, 40))}`);
  }
  const units = (match[1] as string).replace(/^0+(?=\d)/, '');
  const cents = (match[2] ?? '').padEnd(2, '0');
  return ok(`${units}.${cents}`);
}

/** An optional non-negative whole number (stock, employees); empty gives null. */
export function parseOptionalCount(text: string, what: string): Parsed<number | null> {
  const value = text.trim();
  if (value === '') return ok(null);
  if (!/^\d{1,9}$/.test(value)) return bad(`unparsable ${what} ${JSON.stringify(value.slice(0, 40))}`);
  return ok(Number(value));
}

/**
 * Whether a value would run as a formula when the CSV is opened in a spreadsheet (CSV injection):
 * it starts with `=`, or with `+`, `-`, `@`, tab or CR followed by formula syntax. `@here` is a name;
 * `=HYPERLINK(…)`, `@SUM(A1)` and `+cmd|' /C calc'!A0` are formulas.
 */
export function isFormulaLike(value: string): boolean {
  const text = value.trimStart();
  if (text.startsWith('=')) return true;
  if (/^[\t\r]/.test(value)) return true;
  return /^[+\-@]/.test(text) && /[()!|=]/.test(text);
}

/** The client's identifiers: letters, digits, `.`, `_`, `-`, 1 to 64 characters. */
export function parseIdentifier(text: string, what: string): Parsed<string> {
  const value = text.trim();
  if (value === '') return bad(`empty ${what}`);
  if (isFormulaLike(value)) return bad(`formula-like value in ${what}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value))
    return bad(`invalid ${what} ${JSON.stringify(value.slice(0, 40))}`);
  return ok(value);
}

/** Free text (a product name, a city): 1 to 200 characters, no control character, not a formula. */
export function parseLabel(text: string, what: string): Parsed<string> {
  const value = text.trim();
  if (value === '') return bad(`empty ${what}`);
  if (isFormulaLike(value)) return bad(`formula-like value in ${what}`);
  if (value.length > 200) return bad(`${what} longer than 200 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return bad(`control character in ${what}`);
  return ok(value);
}
