import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readReport, reconcile, type Report } from '@sales-pipeline/analytics';
import {
  produceFollowing,
  produceOnce,
  runCli,
  startWorker,
  stopWorker,
  type Worker,
} from '../../test-support/cli-processes.ts';
import { CLIENT_DATA, tempDir } from '../../test-support/client-feeds.ts';
import { eventually } from '../../test-support/eventually.ts';
import { query } from '../../test-support/test-stack.ts';
import { consumerEnv, isolatedTopics, producerEnv, stackWorkerEnv } from '../../test-support/worker-env.ts';

/**
 * Corrections, returns and cancellations through the whole pipeline (producer → Kafka → consumer →
 * PostgreSQL → Debezium → analytics): after each version of a feed, every aggregate moved by exactly
 * what a recompute from that version gives, to the cent, and reconcile finds no drift.
 */

const { secrets } = inject('stack');
const topics = isolatedTopics('corrections');
const FEED_STATE_TOPIC = `t.state.${topics.sales}`;
const env = (extra: Record<string, string> = {}) =>
  producerEnv(topics, { FEED_STATE_TOPIC, SNAPSHOT_MAX_CANCEL: '0.2', ...extra });
const cliEnv = (): NodeJS.ProcessEnv => ({
  ...stackWorkerEnv({ DATABASE_READER_URL: secrets.readerDatabaseUrl }),
  ...env(),
});

// ---- an independent recompute of the aggregates from a version's text ----

const REGIONS: Record<string, string> = {
  Paris: 'Île-de-France',
  Marseille: "Provence-Alpes-Côte d'Azur",
  Lyon: 'Auvergne-Rhône-Alpes',
  Bordeaux: 'Nouvelle-Aquitaine',
  Lille: 'Hauts-de-France',
  Nantes: 'Pays de la Loire',
  Strasbourg: 'Grand Est',
};
const csvRows = (file: string) =>
  fs
    .readFileSync(path.join(CLIENT_DATA, file), 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(','));
const PRICES = new Map(csvRows('produits.csv').map(([, id, price]) => [id as string, price as string]));
const CITIES = new Map(csvRows('magasins.csv').map(([id, city]) => [id as string, city as string]));
const cents = (decimal: string) => {
  const [units = '0', dec = '0'] = decimal.replace('-', '').split('.');
  const abs = BigInt(units) * 100n + BigInt(dec.padEnd(2, '0'));
  return decimal.startsWith('-') ? -abs : abs;
};

interface Figures {
  revenue: bigint;
  units: bigint;
  sales: bigint;
  returns: bigint;
  returnsRevenue: bigint;
}
type Dimension = 'total' | 'product' | 'store' | 'city' | 'region' | 'day';
type Aggregates = Map<string, Figures>;
const zero = (): Figures => ({ revenue: 0n, units: 0n, sales: 0n, returns: 0n, returnsRevenue: 0n });

function addTo(aggregates: Aggregates, key: string, figures: Figures, sign = 1n): void {
  const row = aggregates.get(key) ?? zero();
  row.revenue += sign * figures.revenue;
  row.units += sign * figures.units;
  row.sales += sign * figures.sales;
  row.returns += sign * figures.returns;
  row.returnsRevenue += sign * figures.returnsRevenue;
  aggregates.set(key, row);
}

/**
 * The aggregates of a version: every valid line `date,product,quantity,store` (with `id` and `status`
 * columns first and last for an id-column feed, the last line of an id winning, `annulée` cancelling).
 */
function recompute(text: string, idColumn = false): Aggregates {
  const lines = text.split(/\r?\n/).slice(1).filter(Boolean);
  const byId = new Map<string, string[]>();
  lines.forEach((line, i) => {
    const fields = line.split(',');
    byId.set(idColumn ? (fields[0] as string) : String(i), fields);
  });
  const out: Aggregates = new Map();
  for (const fields of byId.values()) {
    const [date, product, quantity, store, status] = idColumn ? fields.slice(1) : fields;
    if (status === 'annulée' || !/^-?\d+$/.test(quantity ?? '') || Number(quantity) === 0) continue;
    const q = BigInt(quantity as string);
    const amount = cents(PRICES.get(product as string) as string) * q;
    const figures: Figures = {
      revenue: amount,
      units: q,
      sales: q > 0n ? 1n : 0n,
      returns: q < 0n ? 1n : 0n,
      returnsRevenue: q < 0n ? -amount : 0n,
    };
    const city = CITIES.get(store as string) as string;
    for (const key of [
      'total|',
      `product|${product}`,
      `store|${store}`,
      `city|${city}`,
      `region|${REGIONS[city]}`,
      `day|${date}`,
    ])
      addTo(out, key, figures);
  }
  return out;
}

/** The report's aggregates, keyed like {@link recompute}'s. */
function aggregatesOf(report: Report): Aggregates {
  const out: Aggregates = new Map();
  const put = (dimension: Dimension, key: string, row: Report['revenue_total']) =>
    out.set(`${dimension}|${key}`, {
      revenue: cents(row.revenue),
      units: BigInt(row.units),
      sales: BigInt(row.sales),
      returns: BigInt(row.returns),
      returnsRevenue: cents(row.returns_revenue),
    });
  put('total', '', report.revenue_total);
  for (const r of report.by_product) put('product', r.product_id, r);
  for (const r of report.by_store) put('store', r.store_id, r);
  for (const r of report.by_city) put('city', r.city, r);
  for (const r of report.by_region) put('region', r.region, r);
  for (const r of report.by_day) put('day', r.day, r);
  return out;
}

/** What the aggregates moved by since `baseline`, rows that did not move left out. */
function movedSince(baseline: Aggregates, now: Aggregates): Record<string, string> {
  const moved: Aggregates = new Map();
  for (const [key, figures] of now) addTo(moved, key, figures);
  for (const [key, figures] of baseline) addTo(moved, key, figures, -1n);
  return printable(moved);
}

function printable(aggregates: Aggregates): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, f] of [...aggregates].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (Object.values(f).every((v) => v === 0n)) continue;
    out[key] =
      `revenue ${f.revenue} units ${f.units} sales ${f.sales} returns ${f.returns}/${f.returnsRevenue}`;
  }
  return out;
}

const report = () => readReport(secrets.readerDatabaseUrl);

/** Waits until the aggregates moved by exactly the recompute of `version` since `baseline`; then reconcile. */
async function expectFigures(baseline: Aggregates, version: string, idColumn = false): Promise<void> {
  const expected = printable(recompute(version, idColumn));
  const moved = await eventually(
    async () => movedSince(baseline, aggregatesOf(await report())),
    (m) => JSON.stringify(m) === JSON.stringify(expected),
    90_000,
  ).catch(async () => movedSince(baseline, aggregatesOf(await report())));
  expect(moved).toEqual(expected);
  expect(await reconcile(secrets.readerDatabaseUrl)).toEqual([]);
}

// ---- the versions: the client's file, then amendments, deletions, inserts in the middle, returns ----

const V1 = fs.readFileSync(path.join(CLIENT_DATA, 'ventes.csv'), 'utf8');
const v1Lines = V1.split('\r\n');
const edit = (lines: string[], change: (rows: string[]) => void) => {
  const rows = [...lines];
  change(rows);
  return rows.join('\r\n');
};
const V2 = edit(v1Lines, (r) => {
  r[1] = '2023-05-27,REF001,6,1'; // amended: 5 → 6
  r.splice(10, 0, '2023-06-01,REF002,2,7'); // a new sale in the middle
  r.splice(20, 1); // a cancelled sale
  r.push('2023-06-30,REF004,-1,3'); // a return
});
const v2Lines = V2.split('\r\n');
const V3 = edit(v2Lines, (r) => {
  const moved = r.splice(2, 3); // three lines move to the end: the same sales
  r.push(...moved);
  const fields = r[5]!.split(',');
  fields[1] = fields[1] === 'REF005' ? 'REF001' : 'REF005'; // product corrected
  r[5] = fields.join(',');
  r.splice(12, 0, '2023-06-02,REF003,-2,4'); // a return in the middle
  r.splice(16, 1); // another cancelled sale
  r.push(r[8]!); // the same line twice: two sales
});
// A truncated export: most of the sales cancelled at once.
const V4 = v2Lines.slice(0, 12).join('\r\n');

let consumer: Worker;
let analytics: Worker;
let server: http.Server;
let served = V1;
let url = '';

beforeAll(async () => {
  // Products and stores first (their own feeds, on the test's topics), then the workers.
  const refs = await produceOnce(
    [
      '--products',
      path.join(CLIENT_DATA, 'produits.csv'),
      '--stores',
      path.join(CLIENT_DATA, 'magasins.csv'),
    ],
    env(),
  );
  expect(refs.code, refs.stderr).toBe(0);
  consumer = startWorker(['consume'], consumerEnv(topics));
  analytics = startWorker(
    ['analytics'],
    stackWorkerEnv({ ANALYTICS_GROUP: `corrections-${Date.now()}`, ANALYTICS_SESSION_TIMEOUT_MS: '6000' }),
  );
  await eventually(
    () => reconcile(secrets.readerDatabaseUrl),
    (drifts) => drifts.length === 0,
    90_000,
  );
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ventes.csv`;
}, 240_000);

afterAll(async () => {
  server?.close();
  await Promise.all([consumer && stopWorker(consumer), analytics && stopWorker(analytics)]);
});

describe('corrections: the figures always equal the latest version of the sales', () => {
  it('a URL export: four versions with amendments, deletions, inserts in the middle and returns; a truncated one is held until feed accept', async () => {
    const feed = `web${Date.now().toString(36)}`;
    const baseline = aggregatesOf(await report());
    const publish = async (text: string) => {
      served = text;
      const run = await produceOnce(['--sales', url, '--feed-id', feed], env());
      expect(run.code, run.stderr).toBe(0);
      return run.stdout;
    };
    for (const [version, text] of [V1, V2, V3, V1].entries()) {
      const out = await publish(text);
      expect(out, `version ${version + 1}`).toContain('1 version(s)');
      await expectFigures(baseline, text);
    }
    // Version 5 cancels 20 of 30 sales (more than SNAPSHOT_MAX_CANCEL, 20 % here): held, nothing applied.
    expect(await publish(V4)).toContain('1 version(s) held back');
    const holds = await query<{ seq: string; cancels: string; live_sales: string }>(
      'SELECT seq, cancels, live_sales FROM feed_holds WHERE feed = $1',
      [feed],
    );
    expect(holds).toEqual([{ seq: '1', cancels: '20', live_sales: '30' }]);
    await expectFigures(baseline, V1);
    // Shown in status and in the report, posted to Slack once (one outbox row, even when seen again).
    await publish(V4);
    const outbox = await query<{ n: string }>(
      "SELECT count(*) AS n FROM milestones WHERE rule = 'feed_held' AND subject = $1",
      [feed],
    );
    expect(outbox).toEqual([{ n: '1' }]);
    const json = await runCli(['report', '--json'], cliEnv());
    expect(JSON.parse(json.stdout).data_quality.held_feeds).toEqual([
      expect.objectContaining({ feed, cancels: 20, live_sales: 30 }),
    ]);
    const accepted = await runCli(['feed', 'accept', feed], cliEnv());
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(await publish(V4)).toContain('1 version(s)');
    await expectFigures(baseline, V4);
    expect(await query('SELECT 1 FROM feed_holds WHERE feed = $1', [feed])).toEqual([]);
    const again = await runCli(['feed', 'accept', feed], cliEnv());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`feed ${feed} has no held version`);
    // Each version of the sales is kept, with its feed version.
    const kept = await query<{ op: string; n: string }>(
      'SELECT op, count(*) AS n FROM sale_versions WHERE feed = $1 GROUP BY op ORDER BY op',
      [feed],
    );
    expect(kept.map((k) => k.op)).toEqual(['amendment', 'cancellation', 'sale']);
  }, 600_000);

  it('a file read as a snapshot (--snapshot --follow): the same versions, written in place', async () => {
    const dir = tempDir();
    const file = path.join(dir, `snap${Date.now().toString(36)}.csv`);
    const baseline = aggregatesOf(await report());
    fs.writeFileSync(file, V1);
    const producer = produceFollowing(['--sales', file, '--snapshot'], env());
    try {
      await expectFigures(baseline, V1);
      for (const text of [V2, V3]) {
        fs.writeFileSync(file, text);
        await expectFigures(baseline, text);
      }
    } finally {
      await stopWorker(producer);
    }
  }, 300_000);

  it('a tailed file replaced by a corrected re-export is a new version, never counted twice', async () => {
    const dir = tempDir();
    const file = path.join(dir, `ventes${Date.now().toString(36)}.csv`);
    const baseline = aggregatesOf(await report());
    fs.writeFileSync(file, V1);
    const producer = produceFollowing(['--sales', file], env());
    try {
      await expectFigures(baseline, V1);
      // The spreadsheet saves the corrected file under the same name (a new file renamed over the old).
      fs.writeFileSync(`${file}.tmp`, V2);
      fs.renameSync(`${file}.tmp`, file);
      await expectFigures(baseline, V2);
      // From then on the file is read as versions: a line added in the middle is one new sale.
      const v2b = edit(v2Lines, (r) => r.splice(3, 0, '2023-06-03,REF001,1,2'));
      fs.writeFileSync(`${file}.tmp`, v2b);
      fs.renameSync(`${file}.tmp`, file);
      await expectFigures(baseline, v2b);
    } finally {
      await stopWorker(producer);
    }
  }, 300_000);

  it('a tailed file rewritten in place by a corrected export (truncated, then written) is a new version too', async () => {
    const dir = tempDir();
    const file = path.join(dir, `inplace${Date.now().toString(36)}.csv`);
    const baseline = aggregatesOf(await report());
    fs.writeFileSync(file, V1);
    const producer = produceFollowing(['--sales', file], env());
    try {
      await expectFigures(baseline, V1);
      fs.writeFileSync(file, V2); // the same inode: the published bytes are no longer on disk
      await expectFigures(baseline, V2);
    } finally {
      await stopWorker(producer);
    }
  }, 300_000);

  it('a re-export put in place while the producer was stopped is held, never counted twice; the published file back, it goes on', async () => {
    const dir = tempDir();
    const name = `stopped${Date.now().toString(36)}`;
    const file = path.join(dir, `${name}.csv`);
    const baseline = aggregatesOf(await report());
    fs.writeFileSync(file, V1);
    let producer = produceFollowing(['--sales', file], env());
    await expectFigures(baseline, V1);
    await stopWorker(producer);
    fs.writeFileSync(`${file}.tmp`, V2);
    fs.renameSync(`${file}.tmp`, file);
    producer = produceFollowing(['--sales', file], env());
    try {
      const holds = await eventually(
        () => query<{ reason: string }>('SELECT reason FROM feed_holds WHERE feed = $1', [name]),
        (rows) => rows.length === 1,
      );
      expect(holds[0]?.reason).toMatch(/repeats sales already published/);
      expect(
        await query('SELECT 1 FROM milestones WHERE rule = $1 AND subject = $2', ['feed_held', name]),
      ).toHaveLength(1);
      await expectFigures(baseline, V1); // nothing of the re-export was read
      // The published file back: reading goes on; then the corrected one saved over it is a version.
      fs.writeFileSync(`${file}.tmp`, V1);
      fs.renameSync(`${file}.tmp`, file);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      fs.writeFileSync(`${file}.tmp`, V2);
      fs.renameSync(`${file}.tmp`, file);
      await expectFigures(baseline, V2);
    } finally {
      await stopWorker(producer);
    }
  }, 300_000);

  it('a feed with its own sale ids: a later line amends the sale, a status cancels it, a return counts negative', async () => {
    const dir = tempDir();
    const file = path.join(dir, `tickets${Date.now().toString(36)}.csv`);
    const baseline = aggregatesOf(await report());
    const header = 'ID Vente,Date,ID Référence produit,Quantité,ID Magasin,Statut\r\n';
    let text = `${header}T1,2023-07-01,REF001,2,1,\r\nT2,2023-07-01,REF002,1,2,\r\nT3,2023-07-02,REF003,3,3,\r\n`;
    fs.writeFileSync(file, text);
    const producer = produceFollowing(['--sales', file], env());
    try {
      await expectFigures(baseline, text, true);
      const more =
        'T2,2023-07-01,REF002,4,2,\r\nT3,2023-07-02,REF003,3,3,annulée\r\nT4,2023-07-03,REF001,-1,1,\r\n';
      fs.appendFileSync(file, more);
      text += more;
      await expectFigures(baseline, text, true);
    } finally {
      await stopWorker(producer);
    }
  }, 300_000);
});
