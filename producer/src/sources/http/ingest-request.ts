import type { SaleMessage } from '@sales-pipeline/platform';
import { FeedParser } from '../../parse/feed-parser.ts';
import { START_CURSOR } from '../../feed/feed-cursor.ts';
import { DEFAULT_ID_PATTERNS, type IdPatterns } from '../../parse/id-patterns.ts';
import { lineHash } from '../../feed/plan-version.ts';
import { DEFAULT_SALE_RULES, type SaleRules } from '../../parse/sale-rules.ts';
import {
  isFormulaLike,
  parseIdentifier,
  parseQuantity,
  parseSaleDate,
  type Parsed,
} from '../../parse/validate-values.ts';

/** A sale of a request, valid: its place in the request, its id, the message without `rev`, its content hash. */
export interface IngestSale {
  index: number;
  id: string;
  saleId: string;
  value: Omit<SaleMessage, 'rev'>;
  hash: string;
}

/** A sale of a request refused alone, with why (kept as a rejected row like any dead letter). */
export interface IngestRejection {
  index: number;
  id: string | null;
  reason: string;
  raw: string;
}

export interface IngestBatch {
  source: string;
  sales: IngestSale[];
  rejected: IngestRejection[];
}

/** A request that is not a batch at all: 400 with this reason. */
export class BadIngestRequest extends Error {}

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** At most this many sales in one request. */
export const MAX_SALES_PER_REQUEST = 10_000;

export function checkSource(source: unknown): string {
  if (typeof source !== 'string' || !SOURCE.test(source))
    throw new BadIngestRequest(
      'source must be 1 to 64 letters, digits, ".", "_" or "-" (e.g. "pos-lyon"), given as "source" in a JSON body or ?source= with CSV',
    );
  return source;
}

function idOf(text: string, what: 'product' | 'store', patterns: IdPatterns): Parsed<string> {
  const parsed = parseIdentifier(text, `${what} id`);
  if (!parsed.ok || patterns[what].test(parsed.value)) return parsed;
  return {
    ok: false,
    reason: `${what} id ${JSON.stringify(parsed.value)} is not a ${what} id of this pipeline`,
  };
}

/** The identity and content hash of a valid sale (the same values always give the same hash). */
function accepted(
  source: string,
  index: number,
  id: string,
  values: Omit<SaleMessage, 'sale_id' | 'feed' | 'generation' | 'line'>,
): IngestSale {
  // `<source>/http/<id>`: never the id of a feed's line (`<feed>/<generation>/<line>`) nor of an
  // id-column feed's sale (`<feed>/id/<id>`), whatever the source is called.
  const saleId = `${source}/http/${id}`;
  const value = { sale_id: saleId, feed: source, generation: 0, line: index + 1, ...values };
  const hash = lineHash({
    type: 'row',
    line: index + 1,
    end: 0,
    row: { kind: 'sales', key: saleId, value, ownId: id },
  });
  return { index, id, saleId, value, hash };
}

/**
 * A JSON body, `{"source": "pos-lyon", "sales": [{"id", "date", "product_id", "quantity", "store_id"}, …]}`,
 * as valid sales and sales refused alone. Pure. Throws {@link BadIngestRequest} when it is not a batch.
 */
export function parseJsonBatch(
  text: string,
  ids: IdPatterns = DEFAULT_ID_PATTERNS,
  rules: SaleRules = DEFAULT_SALE_RULES,
): IngestBatch {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BadIngestRequest(`malformed JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new BadIngestRequest('the body must be a JSON object {"source": …, "sales": [ … ]}');
  const body = json as { source?: unknown; sales?: unknown };
  const source = checkSource(body.source);
  if (!Array.isArray(body.sales)) throw new BadIngestRequest('"sales" must be an array of sales');
  if (body.sales.length > MAX_SALES_PER_REQUEST)
    throw new BadIngestRequest(
      `at most ${MAX_SALES_PER_REQUEST} sales per request (${body.sales.length} given)`,
    );
  const batch: IngestBatch = { source, sales: [], rejected: [] };
  body.sales.forEach((item: unknown, index) => {
    const raw = JSON.stringify(item) ?? 'undefined';
    const reject = (id: string | null, reason: string) => batch.rejected.push({ index, id, reason, raw });
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      reject(null, 'a sale must be an object {"id", "date", "product_id", "quantity", "store_id"}');
      return;
    }
    const sale = item as Record<string, unknown>;
    const text = (key: string) =>
      typeof sale[key] === 'string' || typeof sale[key] === 'number' ? String(sale[key]) : '';
    const id = parseIdentifier(text('id'), 'sale id');
    if (!id.ok) return reject(null, id.reason);
    const formula = ['date', 'product_id', 'store_id'].map(text).find((v) => isFormulaLike(v));
    if (formula !== undefined)
      return reject(id.value, `formula-like value ${JSON.stringify(formula.slice(0, 40))}`);
    const quantity =
      typeof sale.quantity === 'number' && !Number.isInteger(sale.quantity)
        ? ({ ok: false, reason: `fractional quantity ${sale.quantity}` } as const)
        : parseQuantity(text('quantity'), rules.quantityMax);
    const fields = [
      ['sold_on', parseSaleDate(text('date'))],
      ['product_id', idOf(text('product_id'), 'product', ids)],
      ['quantity', quantity],
      ['store_id', idOf(text('store_id'), 'store', ids)],
    ] as const;
    const bad = fields.find(([, parsed]) => !parsed.ok)?.[1];
    if (bad && !bad.ok) return reject(id.value, bad.reason);
    const value = Object.fromEntries(
      fields.map(([key, parsed]) => [key, (parsed as { value: unknown }).value]),
    );
    batch.sales.push(accepted(source, index, id.value, value as never));
  });
  return batch;
}

/**
 * A CSV body: the feed's header plus an id column (`ID Vente`, `Sale ID`, …), then one sale a line; the
 * source comes from `?source=`. Pure. A line that is not a valid sale is refused alone.
 */
export function parseCsvBatch(
  source: string,
  body: Buffer,
  ids: IdPatterns = DEFAULT_ID_PATTERNS,
  rules: SaleRules = DEFAULT_SALE_RULES,
): IngestBatch {
  const parser = new FeedParser('sales', source, START_CURSOR, { maxRecordBytes: 65_536, ids, rules });
  const outputs = [...parser.push(body), ...parser.flush()];
  const problem = parser.headerProblem;
  if (problem) throw new BadIngestRequest(`the CSV header is not a sales header: ${problem.reason}`);
  if (!parser.hasOwnIds)
    throw new BadIngestRequest('the CSV header has no sale-id column (e.g. "ID Vente" or "Sale ID")');
  const batch: IngestBatch = { source, sales: [], rejected: [] };
  for (const output of outputs) {
    if (output.type === 'header') continue;
    if (output.type === 'dead') {
      const line = output.letter.line ?? 2;
      batch.rejected.push({
        index: line - 2,
        id: null,
        reason: output.letter.reason,
        raw: output.letter.raw,
      });
      continue;
    }
    if (output.row.kind !== 'sales' || output.row.ownId === undefined) continue;
    if (output.row.cancelled) {
      batch.rejected.push({
        index: output.line - 2,
        id: output.row.ownId,
        reason:
          'a cancellation cannot be posted over HTTP: post the sale again with its corrected values, or cancel it in the feed',
        raw: JSON.stringify(output.row.value),
      });
      continue;
    }
    const { sold_on, product_id, quantity, store_id } = output.row.value;
    batch.sales.push(
      accepted(source, output.line - 2, output.row.ownId, { sold_on, product_id, quantity, store_id }),
    );
  }
  if (batch.sales.length + batch.rejected.length > MAX_SALES_PER_REQUEST)
    throw new BadIngestRequest(`at most ${MAX_SALES_PER_REQUEST} sales per request`);
  return batch;
}
