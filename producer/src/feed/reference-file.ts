import fs from 'node:fs/promises';
import type { ProductMessage, StoreMessage } from '@sales-pipeline/platform';
import { FeedParser, START_CURSOR } from '../parse/feed-parser.ts';

/**
 * Reads a whole products or stores file with the producer's own parser (same header matching and
 * validation) and returns its valid rows, the last version of each id. Bad rows are skipped here: the
 * producer is what records them.
 */
export async function readReferenceFile(kind: 'products', file: string): Promise<ProductMessage[]>;
export async function readReferenceFile(kind: 'stores', file: string): Promise<StoreMessage[]>;
export async function readReferenceFile(
  kind: 'products' | 'stores',
  file: string,
): Promise<Array<ProductMessage | StoreMessage>> {
  const parser = new FeedParser(kind, file, START_CURSOR, { maxRecordBytes: 65_536 });
  const outputs = [...parser.push(await fs.readFile(file)), ...parser.flush()];
  const byId = new Map<string, ProductMessage | StoreMessage>();
  for (const output of outputs) {
    if (output.type === 'row' && output.row.kind !== 'sales') byId.set(output.row.key, output.row.value);
  }
  return [...byId.values()];
}
