import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { DeadLetter, ProductMessage, SaleMessage, StoreMessage } from '@sales-pipeline/platform';
import {
  exitOf,
  produceFollowing,
  produceOnce,
  stopProducer,
  type Worker,
} from '../../test-support/cli-processes.ts';
import { SALES_HEADER, clientFileArgs, tempDir, writeSalesCsv } from '../../test-support/client-feeds.ts';
import { readWholeTopic, values } from '../../test-support/kafka-readers.ts';
import { readTopicToEnd } from '../../test-support/test-stack.ts';
import { isolatedTopics, producerEnv, type Topics } from '../../test-support/worker-env.ts';

const { endpoints } = inject('stack');
const brokers = endpoints.kafkaBrokers;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A producer following a new file of its own (`fileName`, holding `content`), on topics of its own. */
function followNewFeed(name: string, content: string, fileName = 'ventes.csv') {
  const topics: Topics = isolatedTopics(name);
  const feed = path.join(tempDir(), fileName);
  fs.writeFileSync(feed, content);
  const producer: Worker = produceFollowing(['--sales', feed], producerEnv(topics));
  return { topics, feed, producer };
}

async function sales(topic: string, atLeast: number, quietMs = 1000): Promise<SaleMessage[]> {
  const all = values<SaleMessage>(await readWholeTopic(brokers, topic, { atLeast, quietMs }));
  // Sales are spread over partitions: order them as in the feed.
  return all.sort((a, b) => a.generation - b.generation || a.line - b.line);
}

describe('produce on the client files', () => {
  it('publishes the 30 sales (the unterminated last one included), 5 products and 7 stores, then nothing more', async () => {
    const topics = isolatedTopics('client');
    const env = producerEnv(topics);
    const args = clientFileArgs();
    const first = await produceOnce(args, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('ventes (sales): 30 published, 0 dead-lettered, 1 header line(s)');

    const again = await produceOnce(args, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('ventes (sales): 0 published, 0 dead-lettered, 0 header line(s)');

    const sold = await sales(topics.sales, 30);
    expect(sold).toHaveLength(30);
    expect(new Set(sold.map((s) => s.sale_id)).size).toBe(30);
    expect(sold.reduce((sum, s) => sum + s.quantity, 0)).toBe(122);
    expect(sold.at(-1)).toMatchObject({
      line: 31,
      sold_on: '2023-06-25',
      product_id: 'REF005',
      quantity: 5,
      store_id: '3',
    });
    const products = values<ProductMessage>(await readWholeTopic(brokers, topics.products, { atLeast: 5 }));
    expect(products).toHaveLength(5);
    expect(products).toContainEqual({
      product_id: 'REF004',
      name: 'Produit D',
      unit_price: '79.99',
      stock: 120,
    });
    const stores = values<StoreMessage>(await readWholeTopic(brokers, topics.stores, { atLeast: 7 }));
    expect(stores.map((s) => s.city)).toContain('Strasbourg');
  });
});

describe('produce --follow on a growing file', () => {
  it('publishes appended lines, holds a partial line until it is complete, and takes an idle complete last line', async () => {
    const { topics, feed, producer } = followNewFeed('follow', `${SALES_HEADER}2023-05-27,REF001,5,1\r\n`);
    try {
      expect(await sales(topics.sales, 1)).toHaveLength(1);

      fs.appendFileSync(feed, '2023-05-28,REF002,3,2\r\n');
      const afterAppend = await sales(topics.sales, 2, 300);
      expect(afterAppend.map((s) => s.line)).toEqual([2, 3]);

      fs.appendFileSync(feed, '2023-05-29,REF0');
      await sleep(1200); // past LAST_LINE_IDLE_MS: an incomplete row is still not taken
      expect(await sales(topics.sales, 2, 300)).toHaveLength(2);
      fs.appendFileSync(feed, '03,2,1'); // complete row, still no line ending
      const idleTaken = await sales(topics.sales, 3, 300);
      expect(idleTaken.at(-1)).toMatchObject({ line: 4, product_id: 'REF003', quantity: 2, store_id: '1' });

      fs.appendFileSync(feed, '\r\n2023-05-30,REF004,4,3\r\n'); // the line ending that completes line 4 comes late
      const all = await sales(topics.sales, 4, 1000);
      expect(all.map((s) => s.line)).toEqual([2, 3, 4, 5]);
      // Everything the producer has published is in the topics by now (the sales above were read).
      const dlq = await readTopicToEnd(topics.deadLetter);
      expect(dlq.map((m) => m.value?.toString())).toEqual([]);
    } finally {
      expect(await stopProducer(producer)).toBe(0);
    }
  });

  it('handles rename rotation and truncation with no loss and no duplicate', async () => {
    const { topics, feed, producer } = followNewFeed('rotate', `${SALES_HEADER}2023-05-27,REF001,1,1\r\n`);
    try {
      await sales(topics.sales, 1);
      // Rotation: a last line lands in the old file just before it is renamed away.
      fs.appendFileSync(feed, '2023-05-27,REF001,2,1\r\n');
      fs.renameSync(feed, `${feed}.1`);
      fs.writeFileSync(feed, `${SALES_HEADER}2023-06-01,REF002,3,2\r\n`);
      const rotated = await sales(topics.sales, 3);
      expect(rotated.map((s) => [s.generation, s.line, s.quantity])).toEqual([
        [0, 2, 1],
        [0, 3, 2],
        [1, 2, 3],
      ]);
      // Truncation: the file is emptied and starts again.
      fs.truncateSync(feed, 0);
      await sleep(100);
      fs.writeFileSync(feed, `${SALES_HEADER}2023-06-02,REF003,4,3\r\n`);
      const truncated = await sales(topics.sales, 4);
      expect(truncated.map((s) => s.sale_id)).toEqual([
        'ventes/0/2',
        'ventes/0/3',
        'ventes/1/2',
        'ventes/2/2',
      ]);
      expect(truncated.at(-1)).toMatchObject({ quantity: 4, generation: 2 });
    } finally {
      await stopProducer(producer);
    }
  });
});

describe('produce from a URL', () => {
  it('polls with conditional requests; each changed answer is a version: new rows sent, a changed row amended, nothing re-sent', async () => {
    const topics = isolatedTopics('url');
    let body = `${SALES_HEADER}2023-05-27,REF001,5,1`; // the client's export: no line ending at the end
    let version = 1;
    let conditionalHits = 0;
    const server = http.createServer((request, response) => {
      const etag = `"v${version}"`;
      if (request.headers['if-none-match'] === etag) {
        conditionalHits++;
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { etag, 'content-type': 'text/csv' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/exports/ventes.csv`;
    const producer = produceFollowing(['--sales', url], producerEnv(topics));
    try {
      expect((await sales(topics.sales, 1)).map((s) => s.sale_id)).toEqual(['ventes/0/2']);
      body += '\r\n2023-05-28,REF002,3,2\r\n2023-05-29,REF003,2,1';
      version = 2;
      const grown = await sales(topics.sales, 3);
      expect(grown.map((s) => s.line)).toEqual([2, 3, 4]);
      await sleep(600);
      expect(conditionalHits).toBeGreaterThan(0);

      body = body.replace('2023-05-28,REF002,3,2', '2023-05-28,REF002,9,2') + '\r\n2023-05-30,REF004,1,3';
      version = 3;
      // The changed row is an amendment of its sale (same id, a higher rev); the new row a new sale.
      const changed = (await sales(topics.sales, 5))
        .filter((s) => s.version === 3)
        .sort((a, b) => (a.rev ?? 0) - (b.rev ?? 0));
      expect(grown.map((s) => s.sale_id)).toEqual(['ventes/0/2', 'ventes/0/v2/3', 'ventes/0/v2/4']);
      expect(changed).toEqual([
        expect.objectContaining({ sale_id: 'ventes/0/v2/3', quantity: 9, line: 3, rev: 4 }),
        expect.objectContaining({ sale_id: 'ventes/0/v3/5', quantity: 1, line: 5, rev: 5 }),
      ]);
      expect(await sales(topics.sales, 5, 800)).toHaveLength(5); // nothing else re-sent
      const notices = values<{ type: string }>(
        await readWholeTopic(brokers, topics.deadLetter, { atLeast: 3 }),
      );
      expect(notices.map((n) => n.type)).toEqual(['feed-version', 'feed-version', 'feed-version']);
    } finally {
      await stopProducer(producer);
      server.close();
    }
  });
});

describe('produce with bad rows', () => {
  it('sends each bad line to the dead-letter topic with feed, line, raw text and reason, and goes on', async () => {
    const topics = isolatedTopics('bad');
    const dir = tempDir();
    const feed = path.join(dir, 'ventes.csv');
    const lines = [
      '2023-05-27,REF001,5,1',
      '2023-05-27,REF001,5',
      'hier,REF001,5,1',
      '2023-05-27,REF001,0,1',
      '2023-05-27,REF001,2.5,1',
      '2023-05-27,=CMD("calc"),1,1',
      '2023-05-28,REF002,3,2',
    ];
    fs.writeFileSync(
      feed,
      Buffer.concat([
        Buffer.from(SALES_HEADER + lines.join('\r\n') + '\r\n'),
        Buffer.from([0xc3, 0x28, 0x0a]),
      ]),
    );
    const result = await produceOnce(['--sales', feed], producerEnv(topics));
    expect(result.stdout).toContain(
      'ventes (sales): 2 published, 6 dead-lettered, 1 header line(s) — 9 lines this run',
    );
    const letters = values<DeadLetter>(await readWholeTopic(brokers, topics.deadLetter, { atLeast: 6 }));
    expect(letters.map((l) => [l.line, l.reason.replace(/ .*/, '')])).toEqual([
      [3, 'expected'],
      [4, 'unparsable'],
      [5, 'quantity'],
      [6, 'fractional'],
      [7, 'formula-like'],
      [9, 'invalid'],
    ]);
    expect(letters[0]).toMatchObject({ feed: 'ventes', raw: '2023-05-27,REF001,5', stage: 'producer' });
    expect((await sales(topics.sales, 2)).map((s) => s.line)).toEqual([2, 8]);
  });
});

describe("produce: ids that cannot be the client's", () => {
  it('dead-letters a store id that is not a positive integer and a product id that is not REF + digits', async () => {
    const topics = isolatedTopics('ids');
    const feed = path.join(tempDir(), 'ventes.csv');
    fs.writeFileSync(
      feed,
      SALES_HEADER +
        [
          '2023-06-01,REF002,2,x7',
          '2023-06-01,PROD9,1,3',
          '2023-06-01,REF003,1,0',
          '2023-06-02,REF010,4,12',
        ].join('\r\n'),
    );
    const result = await produceOnce(['--sales', feed], producerEnv(topics));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('ventes (sales): 1 published, 3 dead-lettered, 1 header line(s)');
    const letters = values<DeadLetter>(await readTopicToEnd(topics.deadLetter));
    expect(letters.map((l) => [l.line, l.reason])).toEqual([
      [2, expect.stringMatching(/^store id "x7" is not a store id of this feed \(STORE_ID_PATTERN /)],
      [
        3,
        expect.stringMatching(/^product id "PROD9" is not a product id of this feed \(PRODUCT_ID_PATTERN /),
      ],
      [4, expect.stringMatching(/^store id "0" is not a store id/)],
    ]);
    expect(values<SaleMessage>(await readTopicToEnd(topics.sales))).toEqual([
      expect.objectContaining({ line: 5, product_id: 'REF010', store_id: '12' }),
    ]);
  });

  it('takes other id formats from PRODUCT_ID_PATTERN / STORE_ID_PATTERN, and refuses an invalid pattern at start', async () => {
    const topics = isolatedTopics('idfmt');
    const feed = path.join(tempDir(), 'ventes.csv');
    fs.writeFileSync(feed, `${SALES_HEADER}2023-06-01,PROD9,1,x7\r\n`);
    const custom = await produceOnce(
      ['--sales', feed],
      producerEnv(topics, { PRODUCT_ID_PATTERN: 'PROD[0-9]+', STORE_ID_PATTERN: '[a-z][0-9]' }),
    );
    expect(custom.code, custom.stderr).toBe(0);
    expect(custom.stdout).toContain('1 published, 0 dead-lettered');

    const invalid = await produceOnce(['--sales', feed], producerEnv(topics, { STORE_ID_PATTERN: '[0-9' }));
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/STORE_ID_PATTERN: is not a valid regular expression/);
  });
});

describe('produce: a feed with a wrong header', () => {
  const WRONG =
    'Horodatage,Code article,Montant,Caisse\r\n2023-06-01,REF002,2,1\r\n2023-06-02,REF003,1,2\r\n';

  it('one-shot: dead-letters every line, then fails with exit code 2 naming the feed, the header found and the one expected', async () => {
    const topics = isolatedTopics('hdr');
    const feed = path.join(tempDir(), 'caisse.csv');
    fs.writeFileSync(feed, WRONG);
    const result = await produceOnce(['--sales', feed], producerEnv(topics));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('feed caisse');
    expect(result.stderr).toContain('"Horodatage,Code article,Montant,Caisse"');
    expect(result.stderr).toContain('"Date,ID Référence produit,Quantité,ID Magasin"');
    expect(result.stderr).toContain('3 line(s) dead-lettered');
    const letters = values<DeadLetter>(await readTopicToEnd(topics.deadLetter));
    expect(letters.map((l) => l.line)).toEqual([1, 2, 3]);
    expect(await readTopicToEnd(topics.sales)).toEqual([]);
  });

  it('--follow: stops by itself with exit code 2 instead of following a feed nothing can be read from', async () => {
    const { topics, producer } = followNewFeed('hdrf', WRONG, 'caisse.csv');
    try {
      expect(await exitOf(producer, 30_000)).toBe(2);
      expect(producer.output()).toMatch(/feed caisse .*has a wrong header/);
    } finally {
      await stopProducer(producer);
    }
    expect(values<DeadLetter>(await readTopicToEnd(topics.deadLetter)).map((l) => l.line)).toEqual([1, 2, 3]);
  });
});

describe('exactly once through kill -9', () => {
  it('publishes each row of a 200,000-row backfill exactly once across a kill -9 and a restart', async () => {
    const topics = isolatedTopics('kill');
    const dir = tempDir();
    const feed = path.join(dir, 'backfill.csv');
    const rows = 200_000;
    writeSalesCsv(feed, rows);

    const env = producerEnv(topics, { PRODUCER_READ_BYTES: '65536' });
    const victim = produceFollowing(['--sales', feed], env);
    // Let it publish part of the file, then kill it without warning.
    const partial = await readWholeTopic(brokers, topics.sales, { atLeast: 20_000, quietMs: 0 });
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('close', resolve));
    expect(partial.length).toBeLessThan(rows);

    const rest = await produceOnce(['--sales', feed], env);
    expect(rest.code, rest.stderr).toBe(0);
    const all = values<SaleMessage>(
      await readWholeTopic(brokers, topics.sales, { atLeast: rows, quietMs: 2000, timeoutMs: 240_000 }),
    );
    const ids = new Set(all.map((s) => s.sale_id));
    expect(ids.size).toBe(rows);
    expect(all.length).toBe(rows);
    expect(ids.has('backfill/0/2')).toBe(true);
    expect(ids.has(`backfill/0/${rows + 1}`)).toBe(true);
  }, 400_000);
});
