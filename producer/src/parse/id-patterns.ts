/**
 * The formats of the client's identifiers: an id that cannot be one is a rejected row, never a sale left
 * pending for a store or product that can never exist. Configured by PRODUCT_ID_PATTERN and
 * STORE_ID_PATTERN (regular expressions the whole id must match); the defaults are the client's
 * (data/pme/): products `REF` + digits, stores positive integers.
 */
export interface IdPatterns {
  product: RegExp;
  store: RegExp;
}

export const DEFAULT_PRODUCT_ID_PATTERN = 'REF[0-9]+';
export const DEFAULT_STORE_ID_PATTERN = '[1-9][0-9]*';

/** A pattern as given in the environment, matched against the whole id. Throws SyntaxError when invalid. */
export function wholeIdPattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 'u');
}

export const DEFAULT_ID_PATTERNS: IdPatterns = {
  product: wholeIdPattern(DEFAULT_PRODUCT_ID_PATTERN),
  store: wholeIdPattern(DEFAULT_STORE_ID_PATTERN),
};

/** The pattern as configured (without the anchors added by {@link wholeIdPattern}). */
export function describePattern(pattern: RegExp): string {
  return pattern.source.replace(/^\^\(\?:/, '').replace(/\)\$$/, '');
}
