/**
 * The key a city is looked up by in the city → region reference: no accents, lower case, words
 * separated by one space. `"Saint-Étienne"` and `"SAINT ETIENNE"` both give `"saint etienne"`.
 */
export function cityKey(city: string): string {
  return city
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The region of a city the reference does not know: visible in every report, never dropped. */
export const UNKNOWN_REGION = 'Inconnue';
