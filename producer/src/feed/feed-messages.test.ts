import { describe, expect, it } from 'vitest';
import { LINE_SEEN_AT_HEADER } from '@sales-pipeline/platform';
import { feedMessages, rewriteMessage } from './feed-messages.ts';
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
