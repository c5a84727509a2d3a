import { spawn } from 'node:child_process';
import pg from 'pg';
import type { PostedMessage } from '../../test-support/fake-slack.ts';
import type { MilestoneRow } from '../../test-support/milestone-row.ts';
import { rowDifferences, type CorrectionFeed } from './corrections.ts';
import type { ChaosFeed } from './feed.ts';
import { cents } from './numeric.ts';
import { CLI_BIN } from './supervisor.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  summary: string;
  /** What is wrong, a line each (the first ones). */
  details: string[];
}

const MAX_DETAILS = 20;

function check(name: string, problems: string[], summary: string): CheckResult {
  return { name, ok: problems.length === 0, summary, details: problems.slice(0, MAX_DETAILS) };
}

/** The sales table against the feed's valid lines: no loss, no duplicate, the right amounts. */
export async function checkSales(client: pg.Client, feed: ChaosFeed, label = 'feed'): Promise<CheckResult> {
  const { rows } = await client.query<{
    sale_id: string;
    feed: string;
    line_number: string;
    sold_on: string;
    product_id: string;
    store_id: string;
    quantity: number;
    amount: string | null;
    status: string;
  }>(
    `SELECT sale_id, feed, line_number::text, sold_on::text, product_id, store_id, quantity, amount::text, status
       FROM sales WHERE feed = $1`,
    [feed.feedId],
  );
  const problems: string[] = [];
  const seen = new Set<string>();
  const linesSeen = new Map<number, number>();
  const validLines = new Set([...feed.sales.values()].map((s) => s.line));
  let wrong = 0;
  let unexpected = 0;
  for (const row of rows) {
    const line = Number(row.line_number);
    linesSeen.set(line, (linesSeen.get(line) ?? 0) + 1);
    const expected = feed.sales.get(row.sale_id);
    if (!expected) {
      unexpected++;
      const why = feed.rejections.has(line)
        ? `a bad line (${feed.rejections.get(line)?.kind}) became a sale`
        : validLines.has(line)
          ? `duplicate of line ${line} under another id`
          : 'no such line in the feed';
      problems.push(`unexpected sale ${row.sale_id}: ${why}`);
      continue;
    }
    seen.add(row.sale_id);
    const amount = cents(row.amount);
    const mismatch: string[] = [];
    if (row.status !== 'complete') mismatch.push(`status ${row.status}`);
    if (amount !== expected.amountCents)
      mismatch.push(`amount ${row.amount} instead of ${expected.amountCents} cents`);
    if (row.quantity !== expected.quantity)
      mismatch.push(`quantity ${row.quantity} instead of ${expected.quantity}`);
    if (line !== expected.line) mismatch.push(`line ${line} instead of ${expected.line}`);
    if (row.sold_on !== expected.soldOn) mismatch.push(`date ${row.sold_on} instead of ${expected.soldOn}`);
    if (row.product_id !== expected.productId || row.store_id !== expected.storeId)
      mismatch.push(`product/store ${row.product_id}/${row.store_id}`);
    if (mismatch.length > 0) {
      wrong++;
      problems.push(`sale ${row.sale_id}: ${mismatch.join(', ')}`);
    }
  }
  const missing = [...feed.sales.keys()].filter((id) => !seen.has(id));
  for (const id of missing.slice(0, MAX_DETAILS)) problems.unshift(`missing sale ${id} (lost)`);
  const doubled = [...linesSeen].filter(([, n]) => n > 1);
  for (const [line, n] of doubled.slice(0, MAX_DETAILS))
    problems.push(`line ${line} is ${n} sales (duplicate)`);
  return check(
    `sales = valid ${label} lines`,
    problems,
    `${rows.length} rows for ${feed.sales.size} valid lines: ${missing.length} missing, ${unexpected} unexpected, ` +
      `${doubled.length} lines duplicated, ${wrong} with wrong values`,
  );
}

/**
 * The correction phase: the export's sales that are not cancelled are exactly its last version's lines (as
 * a multiset: ids of inserted lines depend on where the diff put them), complete, at the right amounts;
 * every amendment and cancellation is kept in sale_versions.
 */
export async function checkCorrections(client: pg.Client, corrections: CorrectionFeed): Promise<CheckResult> {
  const { rows } = await client.query<{
    sold_on: string;
    product_id: string;
    store_id: string;
    quantity: number;
    amount: string | null;
    status: string;
  }>(
    `SELECT sold_on::text, product_id, store_id, quantity, amount::text, status FROM sales WHERE feed = $1`,
    [corrections.feedId],
  );
  const live = rows.filter((r) => r.status !== 'cancelled');
  const problems = rowDifferences(
    corrections.final,
    live.map((r) => ({
      soldOn: r.sold_on,
      productId: r.product_id,
      storeId: r.store_id,
      quantity: r.quantity,
    })),
  );
  const prices = new Map(corrections.products.map((p) => [p.id, p.priceCents]));
  for (const r of live) {
    if (r.status !== 'complete') problems.push(`a sale of ${r.product_id} on ${r.sold_on} is ${r.status}`);
    const expected = (prices.get(r.product_id) ?? 0n) * BigInt(r.quantity);
    if (cents(r.amount) !== expected) problems.push(`amount ${r.amount} instead of ${expected} cents`);
  }
  const versions = await client.query<{ op: string; n: string }>(
    `SELECT op, count(*)::text AS n FROM sale_versions WHERE feed = $1 GROUP BY op`,
    [corrections.feedId],
  );
  const ops = Object.fromEntries(versions.rows.map((v) => [v.op, Number(v.n)]));
  return check(
    'corrected export = its last version',
    problems,
    `${live.length} live sales (${rows.length - live.length} cancelled) for the ${corrections.final.length} lines of the last ` +
      `version; sale_versions: ${ops.sale ?? 0} sales, ${ops.amendment ?? 0} amendments, ${ops.cancellation ?? 0} cancellations`,
  );
}

/** rejected_rows against the feeds' bad lines: each exactly once, nothing else. */
export async function checkRejections(client: pg.Client, feeds: ChaosFeed[]): Promise<CheckResult> {
  const { rows } = await client.query<{
    stage: string;
    feed: string | null;
    line_number: string | null;
    reason: string;
  }>(`SELECT stage, feed, line_number::text, reason FROM rejected_rows ORDER BY rejected_id`);
  const problems: string[] = [];
  const byId = new Map(feeds.map((f) => [f.feedId, f]));
  const counts = new Map<string, number>();
  for (const row of rows) {
    const line = row.line_number === null ? NaN : Number(row.line_number);
    const feed = row.feed === null ? undefined : byId.get(row.feed);
    if (row.stage !== 'producer' || !feed || !feed.rejections.has(line)) {
      problems.push(
        `unexpected rejection: stage ${row.stage}, feed ${row.feed}, line ${row.line_number}: ${row.reason}` +
          (feed?.sales.has(`${feed.feedId}/0/${line}`) ? ' (a valid line!)' : ''),
      );
      continue;
    }
    const key = `${feed.feedId}:${line}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const bad = feeds.flatMap((f) => [...f.rejections.values()].map((r) => ({ ...r, feedId: f.feedId })));
  const missing = bad.filter((r) => !counts.has(`${r.feedId}:${r.line}`));
  for (const r of missing.slice(0, MAX_DETAILS))
    problems.unshift(`bad line ${r.line} of ${r.feedId} (${r.kind}) not in rejected_rows`);
  const doubled = [...counts].filter(([, n]) => n > 1);
  for (const [key, n] of doubled.slice(0, MAX_DETAILS)) problems.push(`bad line ${key} rejected ${n} times`);
  return check(
    'rejected_rows = bad lines',
    problems,
    `${rows.length} rows for ${bad.length} bad lines (${feeds.map((f) => `${f.feedId} ${f.rejections.size}`).join(', ')}): ` +
      `${missing.length} missing, ${doubled.length} duplicated`,
  );
}

/** The aggregates: `sales-pipeline reconcile` (exit code 0: no drift), and the total equals the feed's. */
export async function checkAggregates(
  client: pg.Client,
  feeds: ChaosFeed[],
  corrections: CorrectionFeed,
  env: NodeJS.ProcessEnv,
): Promise<CheckResult> {
  const reconcile = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, 'reconcile'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  const problems: string[] = [];
  if (reconcile.code !== 0)
    problems.push(
      `reconcile exited ${reconcile.code}:`,
      ...reconcile.output.trim().split('\n').slice(-MAX_DETAILS),
    );
  const { rows } = await client.query<{ revenue: string; units: string; sales: string; returns: string }>(
    `SELECT revenue::text, units::text, sales::text, returns::text FROM analytics.revenue_total WHERE id = 1`,
  );
  const total = rows[0];
  let units = corrections.units;
  let revenue = corrections.totalCents;
  let saleLines = corrections.saleLines;
  let returnLines = corrections.returnLines;
  for (const feed of feeds) {
    units += [...feed.sales.values()].reduce((sum, s) => sum + s.quantity, 0);
    revenue += feed.totalCents;
    saleLines += feed.saleLines;
    returnLines += feed.returnLines;
  }
  if (
    !total ||
    cents(total.revenue) !== revenue ||
    Number(total.units) !== units ||
    Number(total.sales) !== saleLines ||
    Number(total.returns) !== returnLines
  )
    problems.push(
      `revenue_total is ${JSON.stringify(total)}; the feeds' valid lines and the export's last version make ` +
        `revenue ${revenue} cents, ${units} units, ${saleLines} sales, ${returnLines} returns`,
    );
  return check(
    'aggregates = recomputation (reconcile) = feed',
    problems,
    reconcile.code === 0
      ? `reconcile: no drift; total ${total?.revenue} € over ${total?.sales} sales`
      : 'drift',
  );
}

/**
 * Milestones: the outbox against the fake Slack's channel — each posted exactly once — and the
 * deterministic ones all there. A post carries one milestone, or several (a backfill's summary): its
 * metadata names the first and their number, and each of them records the post's ts.
 */
export async function checkMilestones(
  client: pg.Client,
  posted: readonly PostedMessage[],
  expected: Set<string>,
): Promise<CheckResult> {
  const { rows } = await client.query<MilestoneRow>(
    `SELECT milestone_id::text, rule, subject, step::text, status, slack_ts FROM milestones ORDER BY milestone_id`,
  );
  const problems: string[] = [];
  const postsById = new Map<string, PostedMessage[]>();
  const postsByTs = new Map<string, PostedMessage[]>();
  for (const message of posted) {
    const id = String(message.metadata?.event_payload.milestone_id ?? '');
    postsById.set(id, [...(postsById.get(id) ?? []), message]);
    postsByTs.set(message.ts, [...(postsByTs.get(message.ts) ?? []), message]);
  }
  const rowsByTs = new Map<string, MilestoneRow[]>();
  for (const row of rows)
    if (row.slack_ts) rowsByTs.set(row.slack_ts, [...(rowsByTs.get(row.slack_ts) ?? []), row]);
  const ids = new Set(rows.map((r) => r.milestone_id));
  for (const row of rows) {
    const label = `milestone ${row.milestone_id} (${row.rule} ${row.subject} ${row.step})`;
    if (row.status !== 'sent') problems.push(`${label} has status ${row.status}`);
    const own = postsById.get(row.milestone_id) ?? [];
    if (own.length > 1) problems.push(`${label} posted ${own.length} times`);
    const carrier = row.slack_ts ? postsByTs.get(row.slack_ts) : undefined;
    if (!carrier) problems.push(`${label} never posted (status ${row.status}, ts ${row.slack_ts})`);
    else if (own.length === 1 && own[0]?.ts !== row.slack_ts)
      problems.push(`${label} records ts ${row.slack_ts}, posted as ${own[0]?.ts}`);
  }
  for (const [id, posts] of postsById)
    if (!ids.has(id)) problems.push(`posted ${posts.length} message(s) for unknown milestone ${id}`);
  for (const [ts, posts] of postsByTs) {
    const count = Number(posts[0]?.metadata?.event_payload.milestone_count ?? 1);
    const carried = rowsByTs.get(ts)?.length ?? 0;
    if (carried !== count)
      problems.push(`the post ${ts} says it carries ${count} milestone(s); ${carried} record its ts`);
  }
  const recorded = new Set(rows.map((r) => `${r.rule}|${r.subject}|${r.step}`));
  const missing = [...expected].filter((key) => !recorded.has(key));
  for (const key of missing.slice(0, MAX_DETAILS)) problems.push(`expected milestone ${key} not recorded`);
  const byRule = new Map<string, number>();
  for (const r of rows) byRule.set(r.rule, (byRule.get(r.rule) ?? 0) + 1);
  const summaries = posted.filter((m) => Number(m.metadata?.event_payload.milestone_count ?? 1) > 1).length;
  return check(
    'milestones posted exactly once',
    problems,
    `${rows.length} milestones (${[...byRule].map(([rule, n]) => `${rule} ${n}`).join(', ')}), ${posted.length} posts ` +
      `(${summaries} carrying several); ${expected.size} deterministic ones expected, ${missing.length} missing`,
  );
}

/**
 * The backfill: finished (closed with its sales counted), and the milestones it held posted together in
 * one summary, once.
 */
export async function checkBackfill(
  client: pg.Client,
  history: ChaosFeed,
  posted: readonly PostedMessage[],
): Promise<CheckResult> {
  const problems: string[] = [];
  const backfill = await client.query<{ finished: boolean; sales: string | null }>(
    `SELECT finished_at IS NOT NULL AS finished, sales::text FROM backfills WHERE feed = $1`,
    [history.feedId],
  );
  const row = backfill.rows[0];
  if (!row) problems.push(`no backfill of ${history.feedId} recorded`);
  else {
    if (!row.finished) problems.push(`the backfill of ${history.feedId} is still open`);
    if (Number(row.sales) !== history.sales.size)
      problems.push(
        `the backfill closed with ${row.sales} sales; the history has ${history.sales.size} valid lines`,
      );
  }
  const held = await client.query<{ status: string; slack_ts: string | null }>(
    `SELECT status, slack_ts FROM milestones WHERE backfill = $1`,
    [history.feedId],
  );
  const tss = new Set(held.rows.map((r) => r.slack_ts));
  const summaries = posted.filter((m) => m.text.startsWith('📚'));
  if (held.rows.length > 0) {
    if (tss.size !== 1) problems.push(`the ${held.rows.length} held milestones record ${tss.size} posts`);
    if (summaries.length !== 1) problems.push(`${summaries.length} summaries posted, not one`);
    else if (!tss.has(summaries[0]?.ts ?? '')) problems.push('the held milestones do not record the summary');
  } else if (summaries.length > 0)
    problems.push(`${summaries.length} summaries posted for no held milestone`);
  return check(
    'backfill finished, one summary',
    problems,
    `${held.rows.length} milestones held, ${summaries.length} summary posted`,
  );
}

/**
 * Every check, as the admin role, once the run is over; a check that cannot run (the database refusing a
 * query) is a failed check that says why.
 */
export async function runChecks(
  adminUrl: string,
  feed: ChaosFeed,
  corrections: CorrectionFeed,
  history: ChaosFeed,
  env: NodeJS.ProcessEnv,
  posted: readonly PostedMessage[],
  expected: Set<string>,
): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const attempt = async (name: string, run: () => Promise<CheckResult>) => {
      try {
        checks.push(await run());
      } catch (error) {
        checks.push({
          name,
          ok: false,
          summary: `could not check: ${(error as Error).message}`,
          details: [],
        });
      }
    };
    await attempt('sales', () => checkSales(client, feed));
    await attempt('history', () => checkSales(client, history, 'history'));
    await attempt('corrections', () => checkCorrections(client, corrections));
    await attempt('rejected_rows', () => checkRejections(client, [feed, history]));
    await attempt('aggregates', () => checkAggregates(client, [feed, history], corrections, env));
    await attempt('milestones', () => checkMilestones(client, posted, expected));
    await attempt('backfill', () => checkBackfill(client, history, posted));
  } finally {
    await client.end();
  }
  return checks;
}
