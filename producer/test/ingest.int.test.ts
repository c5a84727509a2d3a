import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, loadStackConfig, nativeComponentPid } from '@sales-pipeline/stack';
import { produceOnce, startWorker, stopWorker, type Worker } from '../../test-support/cli-processes.ts';
import { CLIENT_DATA, tempDir } from '../../test-support/client-feeds.ts';
import { eventually } from '../../test-support/eventually.ts';
import { selfSignedCertificate } from '../../test-support/self-signed.ts';
import { query } from '../../test-support/test-stack.ts';
import { consumerEnv, isolatedTopics, producerEnv } from '../../test-support/worker-env.ts';

/**
 * The HTTP ingest server against the real stack: each sale posted is stored exactly once and acknowledged
 * only once committed in Kafka, through retries after kill -9, concurrent overlapping senders, per-sale
 * rejections and a broker that stops answering.
 */

const topics = isolatedTopics('ingest');
const TOKEN = crypto.randomBytes(24).toString('hex');
const TILL_TOKEN = crypto.randomBytes(24).toString('hex');
const stateTopic = `t.ingest-state.${topics.sales}`;
let port = 0;
let base = '';
let ingest: Worker;
let consumer: Worker;
let tokensFile = '';

const ingestEnv = () =>
  producerEnv(topics, {
    INGEST_PORT: String(port),
    INGEST_TOKEN: TOKEN,
    INGEST_TOKENS_FILE: tokensFile,
    INGEST_STATE_TOPIC: stateTopic,
    INGEST_TIMEOUT_MS: '2000',
    INGEST_MAX_BODY_BYTES: String(64 * 1024),
  });

async function startIngest(env: Record<string, string> = {}): Promise<Worker> {
  const worker = startWorker(['ingest'], { ...ingestEnv(), ...env });
  await eventually(
    async () =>
      fetch(`${base}/healthz`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200,
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${worker.output()}`);
  });
  return worker;
}

const sale = (source: string, id: string, quantity = 2, date = '2023-07-01') => ({
  id,
  date,
  product_id: 'REF001',
  quantity,
  store_id: '3',
});

async function post(body: unknown, options: { token?: string | null; type?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': options.type ?? 'application/json' };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  const response = await fetch(
    `${base}/v1/sales${typeof body === 'string' && options.type === 'text/csv' ? '?source=pos-csv' : ''}`,
    {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
  );
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Posts until a 200, as a webhook sender does (a refused connection or a 5xx/429 is tried again). */
async function postUntilOk(body: unknown): Promise<Record<string, unknown>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await post(body);
      if (result.status === 200) return result.body;
      if (result.status < 429) throw new Error(`refused: ${result.status} ${JSON.stringify(result.body)}`);
    } catch (error) {
      if ((error as Error).message.startsWith('refused')) throw error;
    }
    if (attempt > 600) throw new Error('never got a 200');
    await sleep(100);
  }
}

const storedSales = (source: string) =>
  query<{ sale_id: string; quantity: number; status: string; rev: string }>(
    'SELECT sale_id, quantity, status, rev::text FROM sales WHERE feed = $1 ORDER BY sale_id',
    [source],
  );

/** The versions of each sale of a source: a sale stored once has one. */
const versionCounts = (source: string) =>
  query<{ sale_id: string; n: number }>(
    'SELECT sale_id, count(*)::int AS n FROM sale_versions WHERE feed = $1 GROUP BY sale_id ORDER BY sale_id',
    [source],
  );

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const dir = tempDir();
  tokensFile = path.join(dir, 'tokens.json');
  fs.writeFileSync(
    tokensFile,
    JSON.stringify({ 'pos-lyon': crypto.createHash('sha256').update(TILL_TOKEN).digest('hex') }),
  );
  // The client's products and stores first: the sales posted here are complete, never left pending for
  // a later test's reference data to complete.
  const refs = await produceOnce(
    [
      '--products',
      path.join(CLIENT_DATA, 'produits.csv'),
      '--stores',
      path.join(CLIENT_DATA, 'magasins.csv'),
    ],
    producerEnv(topics),
  );
  expect(refs.code, refs.stderr).toBe(0);
  ingest = await startIngest();
  consumer = startWorker(['consume'], consumerEnv(topics));
}, 120_000);

afterAll(async () => {
  await Promise.all([ingest && stopWorker(ingest), consumer && stopWorker(consumer)]);
});

describe('POST /v1/sales', () => {
  it('stores each valid sale once, rejects an invalid one alone with its reason, counts a repeat as duplicates, an other value as an amendment', async () => {
    const batch = {
      source: 'pos-a',
      sales: [
        sale('pos-a', 'T1'),
        sale('pos-a', 'T2', -1),
        sale('pos-a', 'T3', 0),
        sale('pos-a', 'T4', 5, '2023-02-30'),
      ],
    };
    const first = await post(batch);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      accepted: 2,
      amended: 0,
      duplicates: 0,
      rejected: [
        { index: 2, id: 'T3', reason: 'quantity is zero' },
        { index: 3, id: 'T4', reason: 'no such date "2023-02-30"' },
      ],
    });
    const again = await post(batch);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2 });
    const amended = await post({ source: 'pos-a', sales: [sale('pos-a', 'T1', 7)] });
    expect(amended.body).toMatchObject({ accepted: 1, amended: 1, duplicates: 0 });
    // Complete once the consumer has the client's products too: a sale read before them waits as pending
    // (CI once read the sales first), and is completed when they come.
    const rows = await eventually(
      () => storedSales('pos-a'),
      (r) => r.length === 2 && r[0]?.quantity === 7 && r.every((row) => row.status === 'complete'),
    );
    expect(rows.map(({ rev: _, ...row }) => row)).toEqual([
      { sale_id: 'pos-a/http/T1', quantity: 7, status: 'complete' },
      { sale_id: 'pos-a/http/T2', quantity: -1, status: 'complete' },
    ]);
    // T1's amendment is its second version, with a higher rev; the repeat added none.
    const t1 = await query<{ rev: string; quantity: number }>(
      "SELECT rev::text, quantity FROM sale_versions WHERE sale_id = 'pos-a/http/T1' ORDER BY rev",
    );
    expect(t1.map((v) => v.quantity)).toEqual([2, 7]);
    expect(rows[0]?.rev).toBe(t1[1]?.rev);
    expect(await versionCounts('pos-a')).toEqual([
      { sale_id: 'pos-a/http/T1', n: 2 },
      { sale_id: 'pos-a/http/T2', n: 1 },
    ]);
    const rejected = await eventually(
      () =>
        query<{ reason: string }>("SELECT reason FROM rejected_rows WHERE feed = 'pos-a' ORDER BY reason"),
      (r) => r.length >= 2,
    );
    expect(rejected.map((r) => r.reason)).toContain('HTTP sale #2 (id T3): quantity is zero');
  });

  it('takes text/csv with the feed header and an id column', async () => {
    const csv =
      'ID Vente,Date,ID Référence produit,Quantité,ID Magasin\r\nC1,2023-07-02,REF002,3,2\r\nC2,hier,REF002,1,2\r\n';
    const result = await post(csv, { type: 'text/csv' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ index: 1, id: null }] });
    await eventually(
      () => storedSales('pos-csv'),
      (r) => r.length === 1 && r[0]?.sale_id === 'pos-csv/http/C1',
    );
  });

  it('answers bad requests clearly: 401, 403, 400, 413, 415', async () => {
    const ok = { source: 'pos-lyon', sales: [sale('pos-lyon', 'L1')] };
    expect((await post(ok, { token: null })).status).toBe(401);
    expect((await post(ok, { token: 'wrong-token-wrong-token' })).status).toBe(401);
    expect((await post(ok, { token: TILL_TOKEN })).status).toBe(200);
    const other = await post(
      { source: 'pos-paris', sales: [sale('pos-paris', 'P1')] },
      { token: TILL_TOKEN },
    );
    expect(other.status).toBe(403);
    expect(other.body.error).toContain('pos-paris');
    const malformed = await post('{"source": "pos-a", "sales": [', { type: 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/malformed JSON/);
    expect((await post({ source: 'pos-a', sales: 'none' })).body.error).toMatch(/"sales" must be an array/);
    const big = await post({
      source: 'pos-a',
      sales: Array.from({ length: 2000 }, (_, i) => sale('pos-a', `B${i}`)),
    });
    expect(big.status).toBe(413);
    expect((await post('x', { type: 'application/xml' })).status).toBe(415);
    // The token never reaches a log line.
    expect(ingest.output()).not.toContain(TOKEN);
    expect(ingest.output()).not.toContain(TILL_TOKEN);
  });

  it('serves a valid OpenAPI 3.1 document', async () => {
    const document = (await (await fetch(`${base}/v1/openapi.json`)).json()) as { openapi: string };
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result).toEqual({ valid: true });
  });

  it('concurrent senders of overlapping batches store each sale once', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `K${i}`);
    const senders = Array.from({ length: 6 }, (_, s) =>
      Promise.all(
        Array.from({ length: 5 }, (_, b) =>
          post({
            source: 'pos-k',
            sales: ids
              .slice((s * 7 + b * 9) % 40, ((s * 7 + b * 9) % 40) + 20)
              .map((id) => sale('pos-k', id)),
          }),
        ),
      ),
    );
    const results = (await Promise.all(senders)).flat();
    expect(results.every((r) => r.status === 200)).toBe(true);
    const accepted = results.reduce((sum, r) => sum + Number(r.body.accepted), 0);
    const sent = new Set(
      Array.from({ length: 6 }, (_, s) =>
        Array.from({ length: 5 }, (_, b) => ids.slice((s * 7 + b * 9) % 40, ((s * 7 + b * 9) % 40) + 20)),
      ).flat(2),
    );
    expect(accepted).toBe(sent.size);
    const rows = await eventually(
      () => storedSales('pos-k'),
      (r) => r.length === sent.size,
    );
    expect(rows).toHaveLength(sent.size);
    expect((await versionCounts('pos-k')).every((v) => v.n === 1)).toBe(true);
  });

  it('answers 503 with Retry-After while the broker does not answer, never a 200; the retried request is stored once', async () => {
    const stack = loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: inject('stack').home });
    const broker = nativeComponentPid(stack, 'kafka');
    expect(broker).toBeDefined();
    const batch = { source: 'pos-b', sales: [sale('pos-b', 'S1'), sale('pos-b', 'S2')] };
    process.kill(broker as number, 'SIGSTOP');
    let during;
    let crowd;
    try {
      during = await post(batch);
      // More requests in flight than INGEST_MAX_INFLIGHT (256): the ones beyond it get 429 at once.
      crowd = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          post({ source: 'pos-crowd', sales: [sale('pos-crowd', `W${i}`)] }),
        ),
      );
      expect((await fetch(`${base}/healthz`)).status).toBe(503);
    } finally {
      process.kill(broker as number, 'SIGCONT');
    }
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('1');
    const statuses = crowd.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 429 || s === 503)).toBe(true);
    expect(crowd.find((r) => r.status === 429)?.headers.get('retry-after')).toBe('1');
    const after = await postUntilOk(batch);
    expect(Number(after.accepted) + Number(after.duplicates)).toBe(2);
    const rows = await eventually(
      () => storedSales('pos-b'),
      (r) => r.length === 2,
    );
    expect(rows).toHaveLength(2);
    expect((await versionCounts('pos-b')).map((v) => v.n)).toEqual([1, 1]);
  });

  it('answers 429 beyond INGEST_MAX_INFLIGHT_BYTES of request bodies in flight; a small request still fits beside a large one', async () => {
    await stopWorker(ingest);
    ingest = await startIngest({ INGEST_MAX_INFLIGHT_BYTES: String(48 * 1024) });
    const large = (tag: string) => ({
      source: 'pos-bytes',
      sales: Array.from({ length: 300 }, (_, i) => sale('pos-bytes', `${tag}-${i}`)),
    });
    const small = { source: 'pos-bytes', sales: [sale('pos-bytes', 'small')] };
    // Two large bodies are more than the budget, one is less.
    expect(JSON.stringify(large('L0')).length).toBeGreaterThan(24 * 1024);
    expect(JSON.stringify(large('L0')).length).toBeLessThan(48 * 1024);
    const stack = loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: inject('stack').home });
    const broker = nativeComponentPid(stack, 'kafka') as number;
    // The broker stopped: a request taken stays in flight until its INGEST_TIMEOUT_MS (503).
    process.kill(broker, 'SIGSTOP');
    let results;
    try {
      results = await Promise.all([...['L0', 'L1', 'L2', 'L3'].map((tag) => post(large(tag))), post(small)]);
    } finally {
      process.kill(broker, 'SIGCONT');
    }
    const statuses = results.map((r) => r.status);
    expect(statuses.slice(0, 4).sort()).toEqual([429, 429, 429, 503]);
    expect(statuses[4]).toBe(503);
    const refused = results.find((r) => r.status === 429);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(String(refused?.body.error)).toContain('INGEST_MAX_INFLIGHT_BYTES');
    // Retried until 200, as a sender does: every sale stored once.
    for (const body of [...['L0', 'L1', 'L2', 'L3'].map((tag) => large(tag)), small]) await postUntilOk(body);
    const rows = await eventually(
      () => storedSales('pos-bytes'),
      (r) => r.length === 1201,
    );
    expect(rows).toHaveLength(1201);
    expect((await versionCounts('pos-bytes')).every((v) => v.n === 1)).toBe(true);
    await stopWorker(ingest);
    ingest = await startIngest();
  });

  it('kill -9 of the server at any moment: a client retrying until 200 ends with every sale stored exactly once', async () => {
    const requests = Array.from({ length: 40 }, (_, r) => ({
      source: 'pos-kill',
      sales: Array.from({ length: 25 }, (_, i) => sale('pos-kill', `R${r}-${i}`, 1 + (i % 4))),
    }));
    const killer = (async () => {
      for (let k = 0; k < 3; k++) {
        await sleep(300 + k * 200);
        ingest.kill('SIGKILL');
        await ingest.exited;
        ingest = await startIngest();
      }
    })();
    for (const request of requests) await postUntilOk(request);
    await killer;
    const rows = await eventually(
      () => storedSales('pos-kill'),
      (r) => r.length === 1000,
      90_000,
    );
    expect(new Set(rows.map((r) => r.sale_id)).size).toBe(1000);
    const firstRev = rows.find((r) => r.sale_id === 'pos-kill/http/R0-0')?.rev;
    const versions = await query<{ n: string }>(
      "SELECT count(*) AS n FROM sale_versions WHERE feed = 'pos-kill'",
    );
    expect(versions).toEqual([{ n: '1000' }]);
    // The restarted server read its ledger back: the same sale again is a duplicate, other values its
    // next version (a higher rev), applied.
    expect(await postUntilOk(requests[0])).toMatchObject({ accepted: 0, duplicates: 25 });
    const amended = await postUntilOk({ source: 'pos-kill', sales: [sale('pos-kill', 'R0-0', 9)] });
    expect(amended).toMatchObject({ accepted: 1, amended: 1 });
    await eventually(
      () =>
        query<{ quantity: number; rev: string }>(
          "SELECT quantity, rev::text FROM sales WHERE sale_id = 'pos-kill/http/R0-0'",
        ),
      (rows) => rows[0]?.quantity === 9 && BigInt(rows[0]?.rev ?? 0) > BigInt(firstRev ?? 0),
    );
  }, 240_000);

  it('is recorded as an HTTP source (feed_activity.kind), which status and the dashboard show', async () => {
    const rows = await eventually(
      () =>
        query<{ feed: string; kind: string | null; lines: string }>(
          "SELECT feed, kind, lines::text FROM feed_activity WHERE feed IN ('pos-kill', 'pos-b') ORDER BY feed",
        ),
      // The consumer writes each source's growth every 2 s, after the rows: wait for all of it.
      (r) => r.length === 2 && r.every((row) => row.kind !== null) && Number(r[1]?.lines) >= 1000,
    );
    expect(rows.map((r) => [r.feed, r.kind])).toEqual([
      ['pos-b', 'http'],
      ['pos-kill', 'http'],
    ]);
    expect(Number(rows[1]?.lines)).toBeGreaterThanOrEqual(1000);
  });

  it('serves HTTPS with INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE: a sale posted over TLS is stored, plain HTTP gets nothing', async () => {
    const { cert, certFile, keyFile } = selfSignedCertificate(tempDir());
    const tlsPort = await freePort();
    const worker = startWorker(['ingest'], {
      ...ingestEnv(),
      INGEST_PORT: String(tlsPort),
      INGEST_TLS_CERT_FILE: certFile,
      INGEST_TLS_KEY_FILE: keyFile,
    });
    const request = (method: string, route: string, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          `https://127.0.0.1:${tlsPort}${route}`,
          {
            method,
            ca: cert,
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      await eventually(
        () =>
          request('GET', '/healthz').then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200,
        60_000,
      );
      const posted = await request(
        'POST',
        '/v1/sales',
        JSON.stringify({ source: 'pos-tls', sales: [sale('pos-tls', 'T1')] }),
      );
      expect(posted.status, posted.body).toBe(200);
      expect(JSON.parse(posted.body)).toMatchObject({ accepted: 1 });
      const plain = await fetch(`http://127.0.0.1:${tlsPort}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      expect(plain).not.toBe(200);
      await eventually(
        () => storedSales('pos-tls'),
        (rows) => rows.length === 1,
      );
    } finally {
      await stopWorker(worker);
    }
  });
  it('remembers at least INGEST_LEDGER_SALES sales: one it forgot, posted again, is still one sale, and its amendment wins, also after a kill -9', async () => {
    await stopWorker(ingest);
    ingest = await startIngest({ INGEST_LEDGER_SALES: '4' });
    const window = (id: string, quantity = 2) => sale('pos-window', id, quantity);
    const all = Array.from({ length: 12 }, (_, i) => window(`W${i}`));
    expect(await postUntilOk({ source: 'pos-window', sales: all })).toMatchObject({ accepted: 12 });
    // The latest are remembered; W0 is not: published again, with a higher rev, so the stored row is
    // replaced by the same values (one sale), not added.
    expect(await postUntilOk({ source: 'pos-window', sales: [window('W11')] })).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });
    expect(await postUntilOk({ source: 'pos-window', sales: [window('W0')] })).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
    // An amendment of a forgotten sale replaces it (with rev 1 again, the consumer would keep the old one).
    expect(await postUntilOk({ source: 'pos-window', sales: [window('W1', 9)] })).toMatchObject({
      accepted: 1,
    });
    ingest.kill('SIGKILL');
    await ingest.exited;
    ingest = await startIngest({ INGEST_LEDGER_SALES: '4', LOG_LEVEL: 'info' });
    // Only the state topic's tail is read back (its last 2 × 4 offsets), though it holds every sale of
    // this file's tests.
    const loaded = ingest.output().match(/"sales":(\d+),"read":(\d+)[^\n]*ingest ledger loaded/);
    expect(Number(loaded?.[1]), ingest.output()).toBeLessThanOrEqual(8);
    expect(Number(loaded?.[2])).toBeGreaterThan(0);
    expect(Number(loaded?.[2])).toBeLessThanOrEqual(8);
    // Read back from the state topic's tail: the latest are still known, an older one is not.
    expect(await postUntilOk({ source: 'pos-window', sales: [window('W1', 9)] })).toMatchObject({
      duplicates: 1,
    });
    expect(await postUntilOk({ source: 'pos-window', sales: [window('W2', 4)] })).toMatchObject({
      accepted: 1,
    });
    const rows = await eventually(
      () => storedSales('pos-window'),
      (r) => r.length === 12 && r.find((row) => row.sale_id === 'pos-window/http/W2')?.quantity === 4,
    );
    expect(rows.map((r) => [r.sale_id.replace('pos-window/http/', ''), r.quantity])).toEqual(
      all
        .map((s) => [s.id, s.id === 'W1' ? 9 : s.id === 'W2' ? 4 : 2])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // Each sale posted again beyond the ledger is a second version of the same sale, never a second sale.
    const versions = await eventually(
      () =>
        query<{ id: string; n: string }>(
          "SELECT sale_id AS id, count(*)::text AS n FROM sale_versions WHERE feed = 'pos-window' GROUP BY sale_id HAVING count(*) > 1 ORDER BY sale_id",
        ),
      (r) => r.length >= 3,
    );
    expect(versions).toEqual([
      { id: 'pos-window/http/W0', n: '2' },
      { id: 'pos-window/http/W1', n: '2' },
      { id: 'pos-window/http/W2', n: '2' },
    ]);
  }, 180_000);
});
