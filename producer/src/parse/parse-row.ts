import type { ProductMessage, SaleMessage, StoreMessage } from '@sales-pipeline/platform';
import type { ColumnMap, FeedKind } from './header.ts';
import { DEFAULT_ID_PATTERNS, describePattern, type IdPatterns } from './id-patterns.ts';
import { DEFAULT_SALE_RULES, isCancelledStatus, type SaleRules } from './sale-rules.ts';
import {
  isFormulaLike,
  parseIdentifier,
  parseLabel,
  parseOptionalCount,
  parsePrice,
  parseQuantity,
  parseSaleDate,
  type Parsed,
} from './validate-values.ts';

/** Where a row comes from: gives the sale its deterministic id. */
export interface RowOrigin {
  feed: string;
  generation: number;
  line: number;
}

export type ParsedRow =
  | {
      kind: 'sales';
      key: string;
      value: SaleMessage;
      /** The feed's own id of the sale (an id column): the sale's identity, whatever line it is on. */
      ownId?: string;
      /** The status column marks the sale cancelled. */
      cancelled?: boolean;
    }
  | { kind: 'products'; key: string; value: ProductMessage }
  | { kind: 'stores'; key: string; value: StoreMessage };

/** The sale id of a line: the same line of the same feed generation always gets the same id. */
export function saleId(origin: RowOrigin): string {
  return `${origin.feed}/${origin.generation}/${origin.line}`;
}

/** The sale id of a feed's own sale id (an id column): the same in every version and on any line. */
export function ownSaleId(feed: string, ownId: string): string {
  return `${feed}/id/${ownId}`;
}

/** An identifier that is also of the configured format (`what` is `product` or `store`). */
function parseId(text: string, what: 'product' | 'store', patterns: IdPatterns): Parsed<string> {
  const parsed = parseIdentifier(text, `${what} id`);
  if (!parsed.ok || patterns[what].test(parsed.value)) return parsed;
  const variable = what === 'product' ? 'PRODUCT_ID_PATTERN' : 'STORE_ID_PATTERN';
  return {
    ok: false,
    reason: `${what} id ${JSON.stringify(parsed.value)} is not a ${what} id of this feed (${variable} ${describePattern(patterns[what])})`,
  };
}

/** Collects the first failure of several parses, in column order. */
function all<T extends Record<string, Parsed<unknown>>>(
  parsed: T,
):
  | { ok: true; values: { [K in keyof T]: T[K] extends Parsed<infer V> ? V : never } }
  | { ok: false; reason: string } {
  const values: Record<string, unknown> = {};
  for (const [key, result] of Object.entries(parsed)) {
    if (!result.ok) return { ok: false, reason: result.reason };
    values[key] = result.value;
  }
  return { ok: true, values: values as never };
}

/**
 * Turns the fields of one data row into the message of its kind, or the reason it is refused.
 * Pure: no I/O, the same input always gives the same output.
 */
export function parseRow(
  kind: FeedKind,
  fields: string[],
  columns: ColumnMap,
  width: number,
  origin: RowOrigin,
  ids: IdPatterns = DEFAULT_ID_PATTERNS,
  rules: SaleRules = DEFAULT_SALE_RULES,
): { ok: true; row: ParsedRow } | { ok: false; reason: string } {
  if (fields.length !== width)
    return { ok: false, reason: `expected ${width} fields, found ${fields.length}` };
  const field = (column: string) => {
    const index = columns[column];
    return index === undefined ? '' : (fields[index] ?? '');
  };
  const formula = fields.find((value) => isFormulaLike(value) && !/^-\s*\d+([.,]\d+)?$/.test(value.trim()));
  if (formula !== undefined)
    return { ok: false, reason: `formula-like value ${JSON.stringify(formula.slice(0, 40))}` };

  if (kind === 'sales') {
    const parsed = all({
      sold_on: parseSaleDate(field('date')),
      product_id: parseId(field('product_id'), 'product', ids),
      quantity: parseQuantity(field('quantity'), rules.quantityMax),
      store_id: parseId(field('store_id'), 'store', ids),
      own_id:
        columns.sale_id === undefined
          ? ({ ok: true, value: undefined } as Parsed<string | undefined>)
          : parseIdentifier(field('sale_id'), 'sale id'),
    });
    if (!parsed.ok) return parsed;
    const { own_id: ownId, ...values } = parsed.values;
    const id = ownId === undefined ? saleId(origin) : ownSaleId(origin.feed, ownId);
    const cancelled = columns.status !== undefined && isCancelledStatus(field('status'), rules);
    return {
      ok: true,
      row: {
        kind,
        key: id,
        value: {
          sale_id: id,
          feed: origin.feed,
          generation: origin.generation,
          line: origin.line,
          ...values,
        },
        ...(ownId === undefined ? {} : { ownId }),
        ...(cancelled ? { cancelled } : {}),
      },
    };
  }
  if (kind === 'products') {
    const parsed = all({
      product_id: parseId(field('product_id'), 'product', ids),
      name: parseLabel(field('name'), 'product name'),
      unit_price: parsePrice(field('price')),
      stock: parseOptionalCount(field('stock'), 'stock'),
    });
    if (!parsed.ok) return parsed;
    return { ok: true, row: { kind, key: parsed.values.product_id, value: parsed.values } };
  }
  const parsed = all({
    store_id: parseId(field('store_id'), 'store', ids),
    city: parseLabel(field('city'), 'city'),
    employees: parseOptionalCount(field('employees'), 'number of employees'),
  });
  if (!parsed.ok) return parsed;
  return { ok: true, row: { kind, key: parsed.values.store_id, value: parsed.values } };
}
