/**
 * How the dashboard writes money and counts, in French (the default, as `sales-pipeline report` does:
 * `5 268,78 €`) or English (`€5,268.78`). The amount is never re-computed: the decimal string's digits
 * are regrouped as they are, so what the page shows is exact to the cent. Pure; Node and the browser.
 */

export type Locale = 'fr' | 'en';

/** The separator between groups of three digits: a narrow no-break space in French, a comma in English. */
const GROUP: Record<Locale, string> = { fr: '\u202f', en: ',' };

function group(digits: string, locale: Locale): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, GROUP[locale]);
}

/** `5268.78` → `5 268,78 €` (fr, as analytics' `euros`) or `€5,268.78` (en). */
export function formatMoney(decimal: string, locale: Locale = 'fr'): string {
  const negative = decimal.startsWith('-');
  const [units = '0', cents = '00'] = decimal.replace('-', '').split('.');
  const sign = negative ? '-' : '';
  if (locale === 'en') return `${sign}€${group(units, locale)}.${cents.padEnd(2, '0')}`;
  return `${sign}${group(units, locale)},${cents.padEnd(2, '0')} €`;
}

/** A whole count: `12345` → `12 345` (fr) or `12,345` (en). */
export function formatCount(n: number, locale: Locale = 'fr'): string {
  if (!Number.isFinite(n)) return '–';
  const negative = n < 0;
  return `${negative ? '-' : ''}${group(String(Math.trunc(Math.abs(n))), locale)}`;
}

/** A rate or a duration with one decimal: `12.34` → `12,3` (fr) or `12.3` (en). */
export function formatDecimal(n: number, locale: Locale = 'fr', digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  const [units = '0', decimals] = Math.abs(n).toFixed(digits).split('.');
  const text = `${group(units, locale)}${decimals ? `${locale === 'fr' ? ',' : '.'}${decimals}` : ''}`;
  return n < 0 ? `-${text}` : text;
}

/** Seconds as a short duration: `0.0042` → `4,2 ms`, `1.5` → `1,5 s`. */
export function formatSeconds(seconds: number | null, locale: Locale = 'fr'): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return `${formatDecimal(seconds * 1000, locale, seconds < 0.01 ? 1 : 0)} ms`;
  return `${formatDecimal(seconds, locale, 1)} s`;
}

/** Bytes as a short size: `1536` → `1,5 KiB`. */
export function formatBytes(bytes: number, locale: Locale = 'fr'): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? formatCount(value, locale) : formatDecimal(value, locale)} ${units[unit]}`;
}
