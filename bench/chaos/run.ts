import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@sales-pipeline/platform';
import type { RunningStack, StackConfig } from '@sales-pipeline/stack';
import { FakeSlack } from '../../test-support/fake-slack.ts';
import { runChecks, type CheckResult } from './checks.ts';
import { CorrectionServer, generateCorrections } from './corrections.ts';
import { FeedWriter, generateFeed, writeWholeFeed } from './feed.ts';
import { Killer, killPlan, type TimelineEntry } from './killer.ts';
import { Prng } from './prng.ts';
import { chaosWorkerEnv, superviseWorkers } from './pipeline-workers.ts';
import { describeProgress, readProgress, waitForCatchUp } from './progress.ts';
import type { ChaosResult } from './result.ts';
import { expectedMilestones, rulesFor } from './rules.ts';
import type { WorkerEvent } from './supervisor.ts';

export { formatChaosResult, type ChaosResult } from './result.ts';

export interface ChaosOptions {
  seed: number;
  /** Data lines in the feed (valid and bad). */
  sales: number;
  /** Share of bad lines, e.g. 0.01. */
  badRatio: number;
  kills: number;
  /** Mean time between the end of one restart and the next kill (each wait is 0.5× to 1.5× this). */
  intervalMs: number;
  /** Rows appended to the feed per second; by default the feed lasts about kills × interval. */
  feedRowsPerSecond?: number;
  /** How long the pipeline may take to catch up once the feed is written and the kills are done. */
  catchUpTimeoutMs: number;
  /** How long nothing must move before the run counts as caught up. */
  quietMs: number;
  stack: Pick<RunningStack, 'endpoints' | 'secrets'>;
  stackConfig: StackConfig;
  /** Where the feed, the rules and the workers' logs go. Emptied first. */
  runDir: string;
  logger: Logger;
  print: (line: string) => void;
}

const FEED_ID = 'chaos';
/** The correction phase's export: a URL whose versions amend, cancel, insert and return sales. */
const SNAPSHOT_FEED_ID = 'chaos-fix';
const SNAPSHOT_VERSIONS = 5;
/** The backfill phase's history: the same shops' sales of the year before, loaded with `backfill`. */
const HISTORY_FEED_ID = 'chaos-history';

/**
 * The chaos run: a CSV feed of `sales` lines (returns among them) grows while the workers run under
 * supervision, and an export served at a URL goes through versions that amend, cancel, insert and return
 * sales (the correction phase), and `backfill` loads a history file beside them (the backfill phase); the
 * producers, the backfill, consumer, analytics worker, notifier, broker, Connect and PostgreSQL are killed
 * with SIGKILL at random moments and restarted; then, once everything has caught up, the checks: sales =
 * the valid lines of the feed and of the history and the export's last version, rejected_rows = the bad
 * lines, no drift, every milestone posted once (the backfill's in its one summary).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { print } = options;
  const startedAt = Date.now();
  const rng = new Prng(options.seed);
  const feedRng = rng.fork();
  const killRng = rng.fork();
  const writerRng = rng.fork();
  const correctionsRng = rng.fork();
  const historyRng = rng.fork();

  fs.rmSync(options.runDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(options.runDir, 'logs'), { recursive: true });
  const feed = generateFeed(feedRng, { sales: options.sales, badRatio: options.badRatio, feedId: FEED_ID });
  const files = {
    sales: path.join(options.runDir, `${FEED_ID}.csv`),
    products: path.join(options.runDir, 'produits.csv'),
    stores: path.join(options.runDir, 'magasins.csv'),
    rules: path.join(options.runDir, 'milestone-rules.json'),
    history: path.join(options.runDir, `${HISTORY_FEED_ID}.csv`),
  };
  const history = generateFeed(historyRng, {
    sales: Math.max(2_500, Math.floor(options.sales / 4)),
    badRatio: options.badRatio,
    feedId: HISTORY_FEED_ID,
    catalog: feed,
    firstDay: Date.UTC(2023, 0, 1),
  });
  writeWholeFeed(files.history, history);
  const corrections = generateCorrections(correctionsRng, {
    lines: Math.max(100, Math.floor(options.sales / 20)),
    versions: SNAPSHOT_VERSIONS,
    stores: feed.stores,
    feedId: SNAPSHOT_FEED_ID,
  });
  fs.writeFileSync(files.products, feed.productsCsv + corrections.productsCsv);
  fs.writeFileSync(files.stores, feed.storesCsv);
  const rules = rulesFor(feed);
  fs.writeFileSync(files.rules, JSON.stringify(rules));
  const expected = expectedMilestones(feed, rules);
  print(
    `[chaos] feed: ${feed.lines.length} lines, ${feed.sales.size} valid, ${feed.rejections.size} bad; ` +
      `rules ${JSON.stringify(rules)} (${expected.size} milestones certain)`,
  );
  print(
    `[chaos] corrections: ${corrections.versions.length} versions of an export served at a URL, ending with ` +
      `${corrections.final.length} lines (${corrections.returnLines} returns); over the versions ` +
      `${corrections.changes.amended} amended, ${corrections.changes.deleted} cancelled, ` +
      `${corrections.changes.inserted} inserted, ${corrections.changes.returns} returns added`,
  );
  print(
    `[chaos] history: ${history.lines.length} lines (${history.sales.size} valid, ${history.rejections.size} bad), ` +
      `loaded by \`backfill\` beside the feed`,
  );
  const server = new CorrectionServer(corrections);
  const snapshotUrl = await server.start();

  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  const env = chaosWorkerEnv(options.stack, { slack, slackUrl, rulesFile: files.rules });
  const timeline: TimelineEntry[] = [];
  const onEvent = (event: WorkerEvent) => {
    const firstLine = event.tail.trim().split('\n').slice(-1)[0]?.slice(0, 300) ?? '';
    timeline.push({
      atMs: Date.now() - startedAt,
      target: event.worker,
      action: 'exited by itself',
      pid: event.pid,
      detail: `code ${event.code}${event.signal ? ` signal ${event.signal}` : ''}: ${firstLine}`,
    });
    print(`[chaos] ${event.worker} (pid ${event.pid}) exited by itself with code ${event.code}; respawning`);
  };
  const workers = superviseWorkers(
    files,
    FEED_ID,
    { url: snapshotUrl, feedId: SNAPSHOT_FEED_ID },
    { file: files.history, feedId: HISTORY_FEED_ID },
    env,
    path.join(options.runDir, 'logs'),
    onEvent,
  );

  const plan = killPlan(killRng, options.kills, options.intervalMs);
  const historyKillAt = 1 + Math.floor(historyRng.next() * (history.sales.size / 2));
  const rowsPerSecond =
    options.feedRowsPerSecond ??
    Math.max(50, Math.ceil(feed.lines.length / Math.max(10, (options.kills * options.intervalMs) / 1000)));
  print(
    `[chaos] ${plan.length} kills planned: ${plan.map((p) => p.target).join(', ')}; feed at ${rowsPerSecond} rows/s`,
  );
  // The feed is released one slice per kill, each slice while the kill is awaited: every kill lands
  // while lines are flowing, however long the restarts before it took.
  const writer: FeedWriter = new FeedWriter(files.sales, feed, writerRng, rowsPerSecond, (): number =>
    killer.done || plan.length === 0
      ? Number.POSITIVE_INFINITY
      : Math.ceil((feed.lines.length * killer.waitsStarted) / plan.length),
  );
  const killer: Killer = new Killer(
    options.stackConfig,
    workers,
    timeline,
    startedAt,
    options.logger,
    print,
    (): string => `feed ${writer.written}/${feed.lines.length} lines written`,
    {
      // Part-way through the history: from none of it to half of it in `sales` (a random share).
      backfill: async () =>
        (
          await readProgress(
            options.stack.secrets.adminDatabaseUrl,
            FEED_ID,
            SNAPSHOT_FEED_ID,
            HISTORY_FEED_ID,
          )
        ).history >= historyKillAt,
    },
  );
  const writing = writer.run().then(() => print(`[chaos] feed complete: ${feed.lines.length} lines written`));
  // The export's versions follow the feed: the last one is served once the feed is complete.
  const versionTimer = setInterval(() => {
    const index = Math.floor((writer.written * corrections.versions.length) / (feed.lines.length + 1));
    if (index + 1 !== server.version) {
      server.show(index);
      print(`[chaos] the export now serves version ${server.version}/${corrections.versions.length}`);
    }
  }, 500);
  void writing.then(() => {
    clearInterval(versionTimer);
    server.show(corrections.versions.length - 1);
    print(`[chaos] the export now serves its last version, ${server.version}`);
  });
  for (const w of Object.values(workers)) w.start();

  const progressTimer = setInterval(() => {
    void readProgress(options.stack.secrets.adminDatabaseUrl, FEED_ID, SNAPSHOT_FEED_ID, HISTORY_FEED_ID)
      .then((p) =>
        print(
          `[chaos] +${((Date.now() - startedAt) / 1000).toFixed(0)} s: feed ${writer.written}/${feed.lines.length}, ${describeProgress(p)}, posted ${slack.posted.length}`,
        ),
      )
      .catch(() => undefined);
  }, 15_000);

  let caughtUp: boolean;
  let catchUpMs: number;
  const checks: CheckResult[] = [];
  try {
    try {
      await Promise.all([killer.run(plan), writing]);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? '';
      checks.push({ name: 'every kill restarted', ok: false, summary: message, details: [] });
      print(`[chaos] a restart failed for good: ${message}`);
      await writing;
    }
    const catchUpStarted = Date.now();
    print('[chaos] kills done and feed written; waiting for every stage to catch up');
    caughtUp = await waitForCatchUp({
      adminUrl: options.stack.secrets.adminDatabaseUrl,
      feed,
      corrections,
      history,
      backfillFinished: () => workers.backfill.finished,
      expected,
      posted: () => slack.posted.length,
      timeoutMs: options.catchUpTimeoutMs,
      quietMs: options.quietMs,
      print,
    });
    catchUpMs = Date.now() - catchUpStarted;
    print(
      caughtUp
        ? `[chaos] caught up in ${(catchUpMs / 1000).toFixed(1)} s`
        : `[chaos] did NOT catch up within ${options.catchUpTimeoutMs / 1000} s; checking anyway`,
    );
  } finally {
    clearInterval(progressTimer);
    clearInterval(versionTimer);
    writer.stop();
    await Promise.all(Object.values(workers).map((w) => w.stop()));
  }

  try {
    checks.push(
      ...(await runChecks(
        options.stack.secrets.adminDatabaseUrl,
        feed,
        corrections,
        history,
        env,
        slack.posted,
        expected,
      )),
    );
  } finally {
    await slack.stop();
    await server.stop();
  }
  if (!caughtUp)
    checks.unshift({
      name: 'caught up',
      ok: false,
      summary: `not within ${options.catchUpTimeoutMs / 1000} s`,
      details: [],
    });
  const result: ChaosResult = {
    passed: checks.every((c) => c.ok),
    seed: options.seed,
    sales: options.sales,
    validLines: feed.sales.size,
    badLines: feed.rejections.size,
    kills: timeline.filter((t) => t.action === 'kill -9').length,
    durationMs: Date.now() - startedAt,
    caughtUp,
    catchUpMs,
    rules,
    timeline,
    checks,
    runDir: options.runDir,
  };
  fs.writeFileSync(
    path.join(options.runDir, 'result.json'),
    `${JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  );
  return result;
}
