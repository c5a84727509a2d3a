import { describe, expect, it } from 'vitest';
import { LINE_SEEN_AT_HEADER } from '@sales-pipeline/platform';
import { CHUNK_LAST_SALE_HEADER, CHUNK_SALES_HEADER, feedMessages, rewriteMessage } from './feed-messages.ts';
import { pacedPublisher, type PublishedStep } from '../publish/paced-publisher.ts';
import type { Publisher } from './feed-committer.ts';
import { FeedParser, START_CURSOR } from '../parse/feed-parser.ts';

const topics = { sales: 'sales', products: 'products', stores: 'stores', deadLetter: 'dlq' };

describe('feedMessages', () => {
  it('sends rows to their kind topic with the time seen, dead letters keyed by generation, headers nowhere', () => {
    const parser = new FeedParser('products', 'catalogue', START_CURSOR, { maxRecordBytes: 1000 });
    const outputs = parser.push(
      Buffer.from('Nom,ID Référence produit,Prix,Stock\nThé,REF001,3.50,10\nbad\n'),
    );
    const messages = feedMessages(outputs, 1234, topics, 3);
    expect([...messages.keys()].sort()).toEqual(['dlq', 'products']);
    const [row] = messages.get('products') ?? [];
    expect(row?.headers).toEqual({ [LINE_SEEN_AT_HEADER]: '1234' });
    const [dead] = messages.get('dlq') ?? [];
    expect(dead?.key).toBe('catalogue/3/3');
  });
});

describe('feedMessages in chunks (a backfill)', () => {
  const lines = (n: number) =>
    'Date,ID Référence produit,Quantité,ID Magasin\n' +
    Array.from(
      { length: n },
      (_, i) => `2024-01-0${1 + (i % 9)},REF00${1 + (i % 5)},${1 + (i % 3)},${1 + (i % 4)}\n`,
    ).join('') +
    'not,a,sale\n';

  it('packs the sales of a step in chunks of at most chunkSales, in line order; dead letters alone', () => {
    const parser = new FeedParser('sales', 'history', START_CURSOR, { maxRecordBytes: 1000 });
    const outputs = parser.push(Buffer.from(lines(7)));
    const sales = outputs.flatMap((o) => (o.type === 'row' ? [o.row.value] : []));
    const messages = feedMessages(outputs, 42, topics, 0, undefined, 3);
    const chunks = messages.get('sales') ?? [];
    expect(chunks.map((m) => m.headers?.[CHUNK_SALES_HEADER])).toEqual(['3', '3', '1']);
    const carried = chunks.flatMap((m) => (JSON.parse(String(m.value)) as { sales: unknown[] }).sales);
    expect(carried).toEqual(sales);
    expect(chunks.map((m) => JSON.parse(String(m.value)).op)).toEqual(['chunk', 'chunk', 'chunk']);
    expect(chunks[0]?.key).toBe((sales[0] as { sale_id: string }).sale_id);
    expect(chunks[2]?.headers?.[CHUNK_LAST_SALE_HEADER]).toBe((sales[6] as { sale_id: string }).sale_id);
    expect(chunks[0]?.headers?.[LINE_SEEN_AT_HEADER]).toBe('42');
    expect(messages.get('dlq')).toHaveLength(1);
    // Without chunkSales: one message a sale, as live sales go.
    expect(feedMessages(outputs, 42, topics, 0).get('sales')).toHaveLength(7);
  });

  it('lets the backfill pace count the sales of its chunks and wait for the last one', async () => {
    const parser = new FeedParser('sales', 'history', START_CURSOR, { maxRecordBytes: 1000 });
    const outputs = parser.push(Buffer.from(lines(5)));
    const last = outputs.flatMap((o) => (o.type === 'row' ? [o.row.key] : [])).at(-1);
    const steps: PublishedStep[] = [];
    const inner = { publish: async () => undefined } as unknown as Publisher;
    const paced = pacedPublisher(inner, 'sales', async (step) => {
      steps.push(step);
    });
    await paced.publish(feedMessages(outputs, 1, topics, 0, undefined, 2), {} as never);
    await paced.publish(feedMessages(outputs, 1, topics, 0), {} as never);
    expect(steps).toEqual([
      { sales: 5, lastSaleId: last },
      { sales: 5, lastSaleId: last },
    ]);
  });
});

describe('rewriteMessage', () => {
  it('keys the report by the version, so that it is reported once', () => {
    const message = rewriteMessage('ventes', Buffer.from('x'), 10, 'ab'.repeat(32), new Date(0));
    expect(message.key).toBe(`ventes/rewrite/${'ab'.repeat(8)}`);
    expect(JSON.parse(String(message.value))).toMatchObject({
      feed: 'ventes',
      line: null,
      stage: 'producer',
    });
  });
});
