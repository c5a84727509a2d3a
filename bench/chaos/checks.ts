import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { PostedMessage } from '../../test-support/fake-slack.ts';
import type { ChaosFeed } from './feed.ts';
import { CLI_BIN } from './supervisor.ts';

/** The notifier's rules for the run, sized from the feed so that each rule fires tens of times. */
export interface ChaosRules {
  /** Every multiple of a step is a milestone (not the notifier's default 1-2-5 series). */
  stepSeries: 'multiples';
  revenueStepEuros: number;
  productUnitsStep: number;
  bigSaleEuros: number;
  storeBestDay: boolean;
}

export function rulesFor(feed: ChaosFeed): ChaosRules {
  const totalEuros = Number(feed.totalCents / 100n);
  const units = [...feed.unitsByProduct.values()];
  const amounts = [...feed.sales.values()].map((s) => s.amountCents).sort((a, b) => (a < b ? 1 : -1));
  const top = amounts[Math.min(amounts.length - 1, Math.max(2, Math.floor(amounts.length / 1000)))] ?? 100n;
  return {
    stepSeries: 'multiples',
    revenueStepEuros: Math.max(1, Math.floor(totalEuros / 40)),
    productUnitsStep: Math.max(1, Math.floor(Math.min(...units) / 8)),
    bigSaleEuros: Math.max(1, Number(top / 100n)),
    storeBestDay: true,
  };
}

/** The milestones that must exist whatever the order of events: `rule|subject|step` (step as in the table). */
export function expectedMilestones(feed: ChaosFeed, rules: ChaosRules): Set<string> {
  const keys = new Set<string>();
  const totalEuros = feed.totalCents / 100n;
  for (let k = 1n; k * BigInt(rules.revenueStepEuros) <= totalEuros; k++)
    keys.add(`revenue_total|total|${k * BigInt(rules.revenueStepEuros)}.00`);
  for (const [product, units] of feed.unitsByProduct)
    for (let k = 1; k * rules.productUnitsStep <= units; k++)
      keys.add(`product_units|${product}|${k * rules.productUnitsStep}.00`);
  for (const sale of feed.sales.values())
    if (sale.amountCents >= BigInt(rules.bigSaleEuros) * 100n)
      keys.add(`big_sale|${sale.saleId}|${rules.bigSaleEuros}.00`);
  return keys;
}

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

const cents = (text: string | null): bigint | null => {
  if (text === null) return null;
  const [units, decimals = ''] = text.split('.');
  return BigInt(units ?? '0') * 100n + BigInt(decimals.padEnd(2, '0').slice(0, 2));
};

export interface Progress {
  sales: number;
  complete: number;
  rejected: number;
  aggregatedSales: number;
  aggregatedRevenueCents: bigint;
  milestones: number;
  unsent: number;
}

/** Where the pipeline stands, read as the admin role. */
export async function readProgress(adminUrl: string, feedId: string): Promise<Progress> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM sales WHERE feed = $1) AS sales,
              (SELECT count(*) FROM sales WHERE feed = $1 AND status = 'complete') AS complete,
              (SELECT count(*) FROM rejected_rows) AS rejected,
              (SELECT sales FROM analytics.revenue_total WHERE id = 1) AS agg_sales,
              (SELECT revenue::text FROM analytics.revenue_total WHERE id = 1) AS agg_revenue,
              (SELECT count(*) FROM milestones) AS milestones,
              (SELECT count(*) FROM milestones WHERE status <> 'sent') AS unsent`,
      [feedId],
    );
    const r = rows[0] ?? {};
    return {
      sales: Number(r.sales),
      complete: Number(r.complete),
      rejected: Number(r.rejected),
      aggregatedSales: Number(r.agg_sales),
      aggregatedRevenueCents: cents(r.agg_revenue ?? '0') ?? 0n,
      milestones: Number(r.milestones),
      unsent: Number(r.unsent),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describeProgress(p: Progress): string {
  return (
    `sales ${p.sales} (complete ${p.complete}), rejected ${p.rejected}, aggregated ${p.aggregatedSales}, ` +
    `milestones ${p.milestones} (unsent ${p.unsent})`
  );
}

/**
 * Waits until every stage has caught up: all valid lines are complete sales, all bad lines rejected, the
 * aggregates count every sale, every milestone that must exist is recorded and sent, and nothing has
 * moved (milestones, Slack posts) for `quietMs`. Returns false on timeout (the checks then say what is off).
 */
export async function waitForCatchUp(options: {
  adminUrl: string;
  feed: ChaosFeed;
  expected: Set<string>;
  posted: () => number;
  timeoutMs: number;
  quietMs: number;
  print: (line: string) => void;
}): Promise<boolean> {
  const { feed } = options;
  const deadline = Date.now() + options.timeoutMs;
  let lastSignature = '';
  let quietSince = Date.now();
  let lastPrint = 0;
  while (Date.now() < deadline) {
    let progress: Progress | undefined;
    try {
      progress = await readProgress(options.adminUrl, feed.feedId);
    } catch {
      // the database may still be recovering
    }
    if (progress) {
      const signature = `${progress.milestones}/${progress.unsent}/${options.posted()}/${progress.aggregatedSales}`;
      if (signature !== lastSignature) {
        lastSignature = signature;
        quietSince = Date.now();
      }
      const done =
        progress.sales === feed.sales.size &&
        progress.complete === feed.sales.size &&
        progress.rejected === feed.rejections.size &&
        progress.aggregatedSales === feed.sales.size &&
        progress.aggregatedRevenueCents === feed.totalCents &&
        progress.milestones >= options.expected.size &&
        progress.unsent === 0;
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        options.print(`[chaos] catching up: ${describeProgress(progress)}, posted ${options.posted()}`);
      }
      if (done && Date.now() - quietSince >= options.quietMs) return true;
    }
    await sleep(1_000);
  }
  return false;
}

/** The sales table against the feed's valid lines: no loss, no duplicate, the right amounts. */
export async function checkSales(client: pg.Client, feed: ChaosFeed): Promise<CheckResult> {
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
    `SELECT sale_id, feed, line_number::text, sold_on::text, product_id, store_id, quantity, amount::text, status FROM sales`,
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
    'sales = valid feed lines',
    problems,
    `${rows.length} rows for ${feed.sales.size} valid lines: ${missing.length} missing, ${unexpected} unexpected, ` +
      `${doubled.length} lines duplicated, ${wrong} with wrong values`,
  );
}

/** rejected_rows against the feed's bad lines: each exactly once, nothing else. */
export async function checkRejections(client: pg.Client, feed: ChaosFeed): Promise<CheckResult> {
  const { rows } = await client.query<{
    stage: string;
    feed: string | null;
    line_number: string | null;
    reason: string;
  }>(`SELECT stage, feed, line_number::text, reason FROM rejected_rows ORDER BY rejected_id`);
  const problems: string[] = [];
  const counts = new Map<number, number>();
  for (const row of rows) {
    const line = row.line_number === null ? NaN : Number(row.line_number);
    if (row.stage !== 'producer' || row.feed !== feed.feedId || !feed.rejections.has(line)) {
      problems.push(
        `unexpected rejection: stage ${row.stage}, feed ${row.feed}, line ${row.line_number}: ${row.reason}` +
          (feed.sales.has(`${feed.feedId}/0/${line}`) ? ' (a valid line!)' : ''),
      );
      continue;
    }
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  const missing = [...feed.rejections.values()].filter((r) => !counts.has(r.line));
  for (const r of missing.slice(0, MAX_DETAILS))
    problems.unshift(`bad line ${r.line} (${r.kind}) not in rejected_rows`);
  const doubled = [...counts].filter(([, n]) => n > 1);
  for (const [line, n] of doubled.slice(0, MAX_DETAILS))
    problems.push(`bad line ${line} rejected ${n} times`);
  return check(
    'rejected_rows = bad feed lines',
    problems,
    `${rows.length} rows for ${feed.rejections.size} bad lines: ${missing.length} missing, ${doubled.length} duplicated`,
  );
}

/** The aggregates: `sales-pipeline reconcile` (exit code 0: no drift), and the total equals the feed's. */
export async function checkAggregates(
  client: pg.Client,
  feed: ChaosFeed,
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
  const { rows } = await client.query<{ revenue: string; units: string; sales: string }>(
    `SELECT revenue::text, units::text, sales::text FROM analytics.revenue_total WHERE id = 1`,
  );
  const total = rows[0];
  const units = [...feed.sales.values()].reduce((sum, s) => sum + s.quantity, 0);
  if (
    !total ||
    cents(total.revenue) !== feed.totalCents ||
    Number(total.units) !== units ||
    Number(total.sales) !== feed.sales.size
  )
    problems.push(
      `revenue_total is ${JSON.stringify(total)}; the feed's valid lines make revenue ${feed.totalCents} cents, ${units} units, ${feed.sales.size} sales`,
    );
  return check(
    'aggregates = recomputation (reconcile) = feed',
    problems,
    reconcile.code === 0
      ? `reconcile: no drift; total ${total?.revenue} € over ${total?.sales} sales`
      : 'drift',
  );
}

/** Milestones: the outbox against the fake Slack's channel — each posted exactly once — and the deterministic ones all there. */
export async function checkMilestones(
  client: pg.Client,
  posted: readonly PostedMessage[],
  expected: Set<string>,
): Promise<CheckResult> {
  const { rows } = await client.query<{
    milestone_id: string;
    rule: string;
    subject: string;
    step: string;
    status: string;
    slack_ts: string | null;
  }>(
    `SELECT milestone_id::text, rule, subject, step::text, status, slack_ts FROM milestones ORDER BY milestone_id`,
  );
  const problems: string[] = [];
  const postsById = new Map<string, PostedMessage[]>();
  for (const message of posted) {
    const id = String(message.metadata?.event_payload.milestone_id ?? '');
    postsById.set(id, [...(postsById.get(id) ?? []), message]);
  }
  const ids = new Set(rows.map((r) => r.milestone_id));
  for (const row of rows) {
    const posts = postsById.get(row.milestone_id) ?? [];
    const label = `milestone ${row.milestone_id} (${row.rule} ${row.subject} ${row.step})`;
    if (posts.length === 0) problems.push(`${label} never posted (status ${row.status})`);
    if (posts.length > 1) problems.push(`${label} posted ${posts.length} times`);
    if (row.status !== 'sent') problems.push(`${label} has status ${row.status}`);
    if (posts.length === 1 && row.slack_ts !== posts[0]?.ts)
      problems.push(`${label} records ts ${row.slack_ts}, posted as ${posts[0]?.ts}`);
  }
  for (const [id, posts] of postsById)
    if (!ids.has(id)) problems.push(`posted ${posts.length} message(s) for unknown milestone ${id}`);
  const recorded = new Set(rows.map((r) => `${r.rule}|${r.subject}|${r.step}`));
  const missing = [...expected].filter((key) => !recorded.has(key));
  for (const key of missing.slice(0, MAX_DETAILS)) problems.push(`expected milestone ${key} not recorded`);
  const byRule = new Map<string, number>();
  for (const r of rows) byRule.set(r.rule, (byRule.get(r.rule) ?? 0) + 1);
  return check(
    'milestones posted exactly once',
    problems,
    `${rows.length} milestones (${[...byRule].map(([rule, n]) => `${rule} ${n}`).join(', ')}), ${posted.length} posts; ` +
      `${expected.size} deterministic ones expected, ${missing.length} missing`,
  );
}
