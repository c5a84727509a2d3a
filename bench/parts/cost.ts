/**
 * cost — what the whole pipeline costs at a set rate, and where its latency goes (issue 13).
 *
 * The four workers run as child processes (producer --follow on a file this bench appends to, consumer,
 * analytics, notifier against a fake Slack) on the part's native stack. The bench appends BENCH_RATE
 * sales/s (300) without a break: BENCH_WARMUP_SECONDS (60) of warm-up, then a window of BENCH_SECONDS (60).
 *
 *  - CPU: the CPU time of each process tree (PostgreSQL: the postmaster and all its backends; the Kafka
 *    broker JVM; the Connect JVM; each worker), from /proc/<pid>/stat (utime+stime+cutime+cstime over the
 *    root and its live descendants) at the start and the end of the window: ms per sale appended in the
 *    window and % of one core, per process and for the whole stack.
 *  - idle: once the load stopped and the pipeline caught up (every sale aggregated, every milestone
 *    recorded, no offset moving for 2 s), the same readings over BENCH_IDLE_SECONDS (30) with nothing fed.
 *  - amplification over the window: WAL bytes, transactions committed and tuples written (pg_stat_database),
 *    messages (Kafka end offsets, transaction markers included) per sale.
 *  - latency per hop, for every sale appended in the window, each timestamp read after the idle window:
 *      appended (the bench's clock after the write) → read by the producer (`sales.line_seen_at`) → sent
 *      (the `sales` record's CreateTime, which kafkajs stamps when it encodes the produce request) →
 *      committed in Kafka (the timestamp of the transaction's COMMIT marker that follows the record in its
 *      partition: the broker writes it when the transaction commits, and read_committed consumers see the
 *      record from then on) → `sales` row committed (pg_xact_commit_timestamp of its xmin) → Debezium read
 *      the change (the event's `ts_ms`) → change event in Kafka (the `cdc.public.sales` record's
 *      timestamp, set by Connect's producer) → aggregates committed (the `analytics.sale_facts` row's
 *      commit) → milestone recorded (as the latency part: the commit of the inserting transaction of the
 *      milestone, after the aggregates commit of the sale that crossed the step).
 *    p50/p99/max/mean of each hop over the sales that have every timestamp, so the mean hops add up to the
 *    mean end-to-end.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT,
  loadStackConfig,
  nativeComponentPid,
  type NativeComponent,
  type RunningStack,
} from '@sales-pipeline/stack';
import { FakeSlack } from '../../test-support/fake-slack.ts';
import { adminClient, fmt, percentile, sizeFromEnv, sleep, until } from '../bench-stack.ts';
import { PRODUCTS, SALES_HEADER, csvLine, saleRow, tempDir, writeReferenceFiles } from '../lib/feed.ts';
import { kafkaOf, readTopic, waitForGroup, type PartResult } from '../lib/part.ts';
import { cpuBetween, cpuSnapshot, ownCpuMs, type CpuSnapshot } from '../lib/proc-cpu.ts';
import { startWorker, whileAlive, workerEnv, type Worker } from '../lib/workers.ts';

export const COST_TARGETS = {
  cpuMsPerSale: 1.0,
  idlePercentOfCore: 5,
  rowP99Ms: 50,
  aggregateP99Ms: 250,
  milestoneP99Ms: 400,
};
/** Lines appended first, before the timed warm-up: every worker joins its group and sees rows go through. */
const PRELOAD = 200;
const WORKERS = ['producer', 'consumer', 'analytics', 'notifier'] as const;
const STACK: NativeComponent[] = ['postgres', 'kafka', 'connect'];
const PROCESS_LABEL: Record<string, string> = {
  postgres: 'PostgreSQL (postmaster + backends)',
  kafka: 'Kafka broker (JVM)',
  connect: 'Kafka Connect + Debezium (JVM)',
  producer: 'producer',
  consumer: 'consumer',
  analytics: 'analytics',
  notifier: 'notifier',
};

/** The timestamps of a sale, in the order it goes through the pipeline (epoch ms). */
const STAMPS = [
  'appended',
  'seen',
  'sent',
  'kafkaCommitted',
  'rowCommitted',
  'debeziumRead',
  'changeInKafka',
  'aggregated',
] as const;
type Stamp = (typeof STAMPS)[number];
const HOP_LABEL: Record<Stamp, string> = {
  appended: 'appended to the feed (bench)',
  seen: 'read by the producer (`sales.line_seen_at`)',
  sent: 'sent to Kafka (`sales` record CreateTime)',
  kafkaCommitted: 'committed in Kafka (its transaction’s COMMIT marker)',
  rowCommitted: '`sales` row committed (commit timestamp)',
  debeziumRead: 'read by Debezium (event `ts_ms`)',
  changeInKafka: 'change event in Kafka (`cdc.public.sales` record timestamp)',
  aggregated: 'aggregates committed (`analytics.sale_facts` row)',
};

interface Counters {
  lsn: string;
  xactCommit: number;
  tuplesWritten: number;
  offsets: Record<string, number>;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round1 = (n: number) => Math.round(n * 10) / 10;
  return {
    samples: sorted.length,
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1) ?? Number.NaN),
    meanMs: round1(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    negative: sorted.filter((v) => v < 0).length,
  };
}

const verdict = (value: number, target: number, unit: string, digits = 0) => {
  const f = (n: number) => `${n.toFixed(digits)}${unit}`;
  return value <= target
    ? `met (${f(value)} ≤ ${f(target)}, ${f(target - value)} to spare)`
    : `**missed** by ${f(value - target)} (${f(value)} > ${f(target)})`;
};

export async function cost(stack: RunningStack): Promise<PartResult> {
  const ratePerSecond = sizeFromEnv('BENCH_RATE', 300);
  const warmupSeconds = sizeFromEnv('BENCH_WARMUP_SECONDS', 60);
  const seconds = sizeFromEnv('BENCH_SECONDS', 60);
  const idleSeconds = sizeFromEnv('BENCH_IDLE_SECONDS', 30);
  const wantedMilestones = sizeFromEnv('BENCH_MILESTONES', 20);
  const windowFrom = PRELOAD + ratePerSecond * warmupSeconds; // first row of the window
  const total = windowFrom + ratePerSecond * seconds;
  const windowSales = total - windowFrom;

  // The stack's processes: this part's stack lives in .stack/bench-cost (bench-stack.ts).
  const config = loadStackConfig({
    ...process.env,
    SALES_PIPELINE_HOME: path.join(REPO_ROOT, '.stack', 'bench-cost'),
  });
  const roots: Record<string, number> = {};
  for (const component of STACK) {
    const pid = nativeComponentPid(config, component);
    if (pid === undefined) throw new Error(`no running ${component} in ${config.home}`);
    roots[component] = pid;
  }

  // Milestone rules sized to fire about BENCH_MILESTONES times on revenue during the window (as latency).
  const cumRevenueCents = new Float64Array(total);
  const cumUnits = new Map(PRODUCTS.map((p) => [p.id, new Float64Array(total)]));
  let revenue = 0;
  const units = new Map(PRODUCTS.map((p) => [p.id, 0]));
  for (let i = 0; i < total; i++) {
    const s = saleRow(i);
    revenue += s.amountCents;
    cumRevenueCents[i] = revenue;
    units.set(s.productId, (units.get(s.productId) ?? 0) + s.quantity);
    for (const [id, arr] of cumUnits) arr[i] = units.get(id) ?? 0;
  }
  const windowRevenueEuros = (revenue - (cumRevenueCents[windowFrom - 1] ?? 0)) / 100;
  const revenueStepEuros = Math.max(1, Math.round(windowRevenueEuros / wantedMilestones));
  const windowUnitsPerProduct = Math.min(
    ...PRODUCTS.map((p) => {
      const cum = cumUnits.get(p.id) as Float64Array;
      return (cum[total - 1] ?? 0) - (cum[windowFrom - 1] ?? 0);
    }),
  );
  const productUnitsStep = Math.max(1, Math.round(windowUnitsPerProduct / 5));
  let expectedMilestones = Math.floor(revenue / 100 / revenueStepEuros);
  for (const u of units.values()) expectedMilestones += Math.floor(u / productUnitsStep);
  const firstRowReaching = (cum: Float64Array, value: number) => {
    let lo = 0;
    let hi = cum.length - 1;
    if ((cum[hi] ?? 0) < value) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] ?? 0) >= value) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  const dir = tempDir('cost');
  const refs = writeReferenceFiles(dir);
  const feedFile = path.join(dir, 'bench.csv');
  fs.writeFileSync(feedFile, SALES_HEADER);
  const rulesFile = path.join(dir, 'rules.json');
  fs.writeFileSync(
    rulesFile,
    JSON.stringify({
      revenueStepEuros,
      productUnitsStep,
      stepSeries: 'multiples', // one milestone per step (the default 1-2-5 series fires a handful)
      bigSaleEuros: 0,
      storeBestDay: false,
    }),
  );
  const slack = new FakeSlack();
  const slackUrl = await slack.start();

  const db = await adminClient(stack);
  // Bench-only: the transaction that inserted each milestone (the sender's update changes the row's xmin).
  await db.query(`
    CREATE TABLE bench_milestone_tx (milestone_id bigint PRIMARY KEY, xid xid8 NOT NULL);
    CREATE FUNCTION bench_milestone_tx() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      BEGIN INSERT INTO bench_milestone_tx VALUES (NEW.milestone_id, pg_current_xact_id()); RETURN NEW; END $$;
    CREATE TRIGGER bench_milestone_tx AFTER INSERT ON milestones FOR EACH ROW EXECUTE FUNCTION bench_milestone_tx();
  `);
  const admin = kafkaOf(stack).admin();
  await admin.connect();

  const env = workerEnv(stack);
  const workers: Worker[] = [];
  const stopAll = () => Promise.all(workers.map((w) => w.stop()));
  try {
    workers.push(
      startWorker(
        'producer',
        ['produce', '--follow', '--sales', feedFile, '--products', refs.products, '--stores', refs.stores],
        env,
      ),
      startWorker('consumer', ['consume'], env),
      startWorker('analytics', ['analytics'], env),
      startWorker('notifier', ['notify'], {
        ...env,
        SLACK_BOT_TOKEN: slack.token,
        SLACK_CHANNEL: slack.channel,
        SLACK_API_URL: slackUrl,
        MILESTONE_RULES_FILE: rulesFile,
      }),
    );
    for (const w of workers) roots[w.name] = w.child.pid as number;

    const out = fs.openSync(feedFile, 'a');
    const appendedAt = new Float64Array(total);
    const append = (from: number, to: number) => {
      let chunk = '';
      for (let i = from; i < to; i++) chunk += csvLine(i);
      fs.writeSync(out, chunk);
      const now = Date.now();
      for (let i = from; i < to; i++) appendedAt[i] = now;
    };
    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    const factsCount = () => count('SELECT count(*) AS n FROM analytics.sale_facts');

    const endOffsets = async (): Promise<Record<string, number>> => {
      const topics = await admin.listTopics();
      const entries = await Promise.all(
        topics.map(
          async (t) =>
            [t, (await admin.fetchTopicOffsets(t)).reduce((s, p) => s + Number(p.high), 0)] as const,
        ),
      );
      return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
    };
    const counters = async (): Promise<Counters> => {
      const [{ rows }, offsets] = await Promise.all([
        db.query<{ lsn: string; xact_commit: string; written: string }>(
          `SELECT pg_current_wal_lsn()::text AS lsn, xact_commit,
                  tup_inserted + tup_updated + tup_deleted AS written
             FROM pg_stat_database WHERE datname = current_database()`,
        ),
        endOffsets(),
      ]);
      return {
        lsn: rows[0]?.lsn ?? '0/0',
        xactCommit: Number(rows[0]?.xact_commit),
        tuplesWritten: Number(rows[0]?.written),
        offsets,
      };
    };

    // Preload: every worker has joined its group and the first rows went all the way through.
    process.stdout.write('cost: starting the four workers…\n');
    append(0, PRELOAD);
    await whileAlive(
      workers,
      (async () => {
        for (const group of [
          'sales-pipeline.consumer',
          'sales-pipeline.analytics',
          'sales-pipeline.notifier',
        ])
          await waitForGroup(stack, group);
        await until(
          `${PRELOAD} preloaded rows in the aggregates`,
          async (saw) => {
            const n = await factsCount();
            saw(`${n} rows in analytics.sale_facts`);
            return n >= PRELOAD ? true : undefined;
          },
          { timeoutMs: 300_000, stallMs: 180_000 },
        );
      })(),
    );

    // Warm-up then the window, one steady stream: every 5 ms, the lines due by then.
    process.stdout.write(
      `cost: ${fmt(ratePerSecond)} sales/s: ${warmupSeconds} s warm-up, then a ${seconds} s window…\n`,
    );
    let start: { cpu: CpuSnapshot; bench: number; counters: Promise<Counters> } | undefined;
    let end: { cpu: CpuSnapshot; bench: number; counters: Promise<Counters> } | undefined;
    const streamStarted = Date.now();
    let written = PRELOAD;
    await whileAlive(
      workers,
      (async () => {
        while (written < total) {
          const due = Math.min(
            total,
            PRELOAD + Math.floor(((Date.now() - streamStarted) * ratePerSecond) / 1000),
            start ? total : windowFrom, // stop at the window's first row to read the counters there
          );
          if (due > written) {
            append(written, due);
            written = due;
          }
          if (!start && written === windowFrom) {
            start = { cpu: cpuSnapshot(roots), bench: ownCpuMs(), counters: counters() };
            process.stdout.write('cost: window started\n');
          }
          if (written < total) await sleep(5);
        }
        end = { cpu: cpuSnapshot(roots), bench: ownCpuMs(), counters: counters() };
      })(),
    );
    fs.closeSync(out);
    if (!start || !end) throw new Error('the window was not read');
    const cpu = cpuBetween(start.cpu, end.cpu);
    const benchCpuMs = end.bench - start.bench;
    const [startCounters, endCounters] = await Promise.all([start.counters, end.counters]);
    const achieved = Math.round((windowSales * 1000) / cpu.windowMs);

    // Caught up: every sale aggregated, every milestone recorded, then no offset moving for 2 s.
    const caughtUpStarted = Date.now();
    await whileAlive(
      workers,
      (async () => {
        await until(
          'every sale in the aggregates',
          async (saw) => {
            const n = await factsCount();
            saw(`${n} of ${total} rows in analytics.sale_facts`);
            return n >= total ? true : undefined;
          },
          { intervalMs: 250, timeoutMs: 300_000 },
        );
        await until(
          'every milestone',
          async (saw) => {
            const n = await count('SELECT count(*) AS n FROM bench_milestone_tx');
            saw(`${n} of ${expectedMilestones} milestones`);
            return n >= expectedMilestones ? true : undefined;
          },
          { intervalMs: 250, timeoutMs: 60_000 },
        ).catch((error: unknown) =>
          process.stdout.write(`cost: ${error instanceof Error ? error.message : String(error)}\n`),
        );
        let last = '';
        let since = Date.now();
        await until(
          'no offset moving for 2 s (Kafka end offsets, offsets stored in PostgreSQL)',
          async (saw) => {
            const [ends, stored] = await Promise.all([
              endOffsets(),
              db.query<{ s: string }>(
                'SELECT coalesce(sum(next_offset), 0)::text AS s FROM consumer_offsets',
              ),
            ]);
            const now = JSON.stringify([ends, stored.rows[0]?.s]);
            if (now !== last) {
              last = now;
              since = Date.now();
            }
            saw(`unchanged for ${Date.now() - since} ms`);
            return Date.now() - since >= 2000 ? true : undefined;
          },
          { intervalMs: 250, timeoutMs: 120_000, stallMs: 120_000 },
        );
      })(),
    );
    const caughtUpMs = Date.now() - caughtUpStarted;

    // Idle: nothing fed, for BENCH_IDLE_SECONDS (the window itself is the measurement).
    process.stdout.write(
      `cost: caught up in ${(caughtUpMs / 1000).toFixed(1)} s; idle window of ${idleSeconds} s…\n`,
    );
    const idleStart = { cpu: cpuSnapshot(roots), bench: ownCpuMs() };
    await whileAlive(workers, sleep(idleSeconds * 1000));
    const idleEnd = { cpu: cpuSnapshot(roots), bench: ownCpuMs() };
    const idle = cpuBetween(idleStart.cpu, idleEnd.cpu);
    const idleBenchMs = idleEnd.bench - idleStart.bench;

    // The timestamps of every sale of the window.
    process.stdout.write('cost: reading the timestamps of the window’s sales…\n');
    const stamp = Object.fromEntries(
      STAMPS.map((s) => [s, new Float64Array(windowSales).fill(Number.NaN)]),
    ) as Record<Stamp, Float64Array>;
    stamp.appended.set(appendedAt.subarray(windowFrom, total));
    const slot = (line: number) => {
      const i = line - 2 - windowFrom;
      return i >= 0 && i < windowSales ? i : -1;
    };
    const lineOfSaleId = (saleId: string) => Number(saleId.split('/').at(-1));
    const epochMs = (column: string) => `extract(epoch FROM ${column}) * 1000`;

    for (const r of (
      await db.query<{ line: string; seen: number | null; at: number }>(
        `SELECT line_number AS line, ${epochMs('line_seen_at')} AS seen,
                ${epochMs('pg_xact_commit_timestamp(xmin)')} AS at
           FROM sales WHERE line_number BETWEEN $1 AND $2`,
        [windowFrom + 2, total + 1],
      )
    ).rows) {
      const i = slot(Number(r.line));
      if (i < 0) continue;
      stamp.seen[i] = r.seen === null ? Number.NaN : Number(r.seen);
      stamp.rowCommitted[i] = Number(r.at);
    }
    for (const r of (
      await db.query<{ sale_id: string; at: number }>(
        `SELECT sale_id, ${epochMs('pg_xact_commit_timestamp(xmin)')} AS at FROM analytics.sale_facts`,
      )
    ).rows) {
      const i = slot(lineOfSaleId(r.sale_id));
      if (i >= 0) stamp.aggregated[i] = Number(r.at);
    }

    // `sales`: each record's CreateTime, and the COMMIT marker after it in its partition.
    interface RawRecord {
      offset: string;
      timestamp: string;
      key: Buffer | null;
      isControlRecord?: boolean;
    }
    const records = new Map<number, Array<{ offset: number; slot: number; at: number }>>();
    const markers = new Map<number, Map<number, number>>();
    await readTopic(stack, 'sales', 'cost sales', async (batch) => {
      const raw = (batch as unknown as { rawMessages: RawRecord[]; fetchedOffset: string }).rawMessages;
      for (const m of raw) {
        const offset = Number(m.offset);
        if (m.isControlRecord) {
          // the control record's key: version (int16), type (int16: 0 abort, 1 commit)
          if (m.key && m.key.length >= 4 && m.key.readInt16BE(2) !== 1) continue;
          const list = markers.get(batch.partition) ?? new Map<number, number>();
          list.set(offset, Number(m.timestamp));
          markers.set(batch.partition, list);
          continue;
        }
        const i = slot(lineOfSaleId(m.key?.toString() ?? ''));
        if (i < 0) continue;
        const list = records.get(batch.partition) ?? [];
        list.push({ offset, slot: i, at: Number(m.timestamp) });
        records.set(batch.partition, list);
      }
    });
    let withoutMarker = 0;
    for (const [partition, list] of records) {
      const commits = [...(markers.get(partition) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
      for (const r of list) {
        stamp.sent[r.slot] = r.at;
        let lo = 0;
        let hi = commits.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((commits[mid]?.[0] ?? 0) > r.offset) hi = mid;
          else lo = mid + 1;
        }
        const marker = commits[lo];
        if (marker) stamp.kafkaCommitted[r.slot] = marker[1];
        else withoutMarker++;
      }
    }

    // `cdc.public.sales`: the first change event of each sale (its insert).
    await readTopic(stack, 'cdc.public.sales', 'cost cdc', async (batch) => {
      for (const m of batch.messages) {
        if (!m.key || !m.value) continue;
        const key = JSON.parse(m.key.toString()) as { sale_id?: string };
        const i = slot(lineOfSaleId(key.sale_id ?? ''));
        if (i < 0 || !Number.isNaN(stamp.changeInKafka[i])) continue;
        const value = JSON.parse(m.value.toString()) as { ts_ms?: number };
        stamp.changeInKafka[i] = Number(m.timestamp);
        stamp.debeziumRead[i] = value.ts_ms ?? Number.NaN;
      }
    });

    // Milestones: recorded after the aggregates of the sale that crossed the step were committed.
    const milestoneRows = (
      await db.query<{ rule: string; subject: string; step: string; at: number }>(
        `SELECT m.rule, m.subject, m.step::text AS step,
                ${epochMs('pg_xact_commit_timestamp((t.xid::text)::xid)')} AS at
           FROM milestones m JOIN bench_milestone_tx t USING (milestone_id)`,
      )
    ).rows;
    const aggregateToMilestone: number[] = [];
    const appendedToMilestone: number[] = [];
    for (const m of milestoneRows) {
      const cum = m.rule === 'revenue_total' ? cumRevenueCents : cumUnits.get(m.subject);
      if (!cum) continue;
      const i = slot(firstRowReaching(cum, Number(m.step) * (m.rule === 'revenue_total' ? 100 : 1)) + 2);
      if (i < 0) continue;
      aggregateToMilestone.push(Number(m.at) - (stamp.aggregated[i] ?? Number.NaN));
      appendedToMilestone.push(Number(m.at) - (stamp.appended[i] ?? Number.NaN));
    }
    await stopAll();
    const memory = Object.fromEntries(workers.map((w) => [`${w.name}PeakMb`, w.peakMb()]));

    // Hops over the sales that have every timestamp: the mean hops add up to the mean end-to-end.
    const complete: number[] = [];
    for (let i = 0; i < windowSales; i++)
      if (STAMPS.every((s) => !Number.isNaN(stamp[s][i]))) complete.push(i);
    const diffs = (from: Stamp, to: Stamp, among: Iterable<number>) => {
      const values: number[] = [];
      for (const i of among) {
        const v = (stamp[to][i] as number) - (stamp[from][i] as number);
        if (!Number.isNaN(v)) values.push(v);
      }
      return values;
    };
    const every = Array.from({ length: windowSales }, (_, i) => i);
    const hops = STAMPS.slice(1).map((to, k) => {
      const from = STAMPS[k] as Stamp;
      return { from, to, ...stats(diffs(from, to, complete)) };
    });
    const milestoneHop = stats(aggregateToMilestone);
    const endToEnd = {
      row: stats(diffs('appended', 'rowCommitted', every)),
      aggregates: stats(diffs('appended', 'aggregated', every)),
      aggregatesOfComplete: stats(diffs('appended', 'aggregated', complete)),
      milestone: stats(appendedToMilestone),
    };
    const coverage = Object.fromEntries(
      STAMPS.map((s) => [s, (stamp[s] as Float64Array).reduce((n, v) => n + (Number.isNaN(v) ? 0 : 1), 0)]),
    );

    // CPU figures.
    const names = [...STACK, ...WORKERS];
    const perSale = (ms: number) => Math.round((ms / windowSales) * 1000) / 1000;
    const pct = (ms: number, windowMs: number) => Math.round((ms / windowMs) * 1000) / 10;
    const totalMs = names.reduce((s, n) => s + (cpu.ms[n] ?? 0), 0);
    const idleTotalMs = names.reduce((s, n) => s + (idle.ms[n] ?? 0), 0);
    const processes = Object.fromEntries(
      names.map((n) => [
        n,
        {
          processes: cpu.processes[n],
          cpuMs: Math.round(cpu.ms[n] ?? 0),
          msPerSale: perSale(cpu.ms[n] ?? 0),
          percentOfCore: pct(cpu.ms[n] ?? 0, cpu.windowMs),
          idlePercentOfCore: pct(idle.ms[n] ?? 0, idle.windowMs),
        },
      ]),
    );
    const stackTotal = {
      cpuMs: Math.round(totalMs),
      msPerSale: perSale(totalMs),
      percentOfCore: pct(totalMs, cpu.windowMs),
      idlePercentOfCore: pct(idleTotalMs, idle.windowMs),
    };
    const dominant = [...names].sort((a, b) => (cpu.ms[b] ?? 0) - (cpu.ms[a] ?? 0))[0] as string;
    const idleDominant = [...names].sort((a, b) => (idle.ms[b] ?? 0) - (idle.ms[a] ?? 0))[0] as string;
    const slowestHop = [...hops].sort((a, b) => b.meanMs - a.meanMs)[0];
    const slowestP99Hop = [...hops].sort((a, b) => b.p99Ms - a.p99Ms)[0];

    // Amplification over the window.
    const walBytes = Number(
      (
        await db.query<{ d: string }>('SELECT pg_wal_lsn_diff($1, $2)::text AS d', [
          endCounters.lsn,
          startCounters.lsn,
        ])
      ).rows[0]?.d,
    );
    const messagesByTopic = Object.fromEntries(
      Object.entries(endCounters.offsets)
        .map(([t, n]) => [t, n - (startCounters.offsets[t] ?? 0)] as const)
        .filter(([, n]) => n !== 0),
    );
    const messages = Object.values(messagesByTopic).reduce((a, b) => a + b, 0);
    const per = (n: number) => Math.round((n / windowSales) * 100) / 100;
    const amplification = {
      walBytesPerSale: Math.round(walBytes / windowSales),
      transactionsPerSale: per(endCounters.xactCommit - startCounters.xactCommit),
      tuplesWrittenPerSale: per(endCounters.tuplesWritten - startCounters.tuplesWritten),
      kafkaMessagesPerSale: per(messages),
      kafkaMessagesPerSaleByTopic: Object.fromEntries(
        Object.entries(messagesByTopic).map(([t, n]) => [t, per(n)]),
      ),
    };

    const t = COST_TARGETS;
    const aggregatesP99 = endToEnd.aggregates.p99Ms;
    const meets = {
      cpuPerSale: stackTotal.msPerSale <= t.cpuMsPerSale,
      idle: stackTotal.idlePercentOfCore <= t.idlePercentOfCore,
      rowP99: endToEnd.row.p99Ms <= t.rowP99Ms,
      aggregateP99: aggregatesP99 <= t.aggregateP99Ms,
      milestoneP99: endToEnd.milestone.p99Ms <= t.milestoneP99Ms,
    };
    const ms = (n: number) => `${n} ms`;
    return {
      figures: {
        rate: { target: ratePerSecond, achieved, warmupSeconds, seconds, idleSeconds, windowSales },
        windowMs: cpu.windowMs,
        idleWindowMs: idle.windowMs,
        caughtUpMs,
        cpu: {
          processes,
          stack: stackTotal,
          bench: { cpuMs: Math.round(benchCpuMs), idleCpuMs: Math.round(idleBenchMs) },
        },
        dominantProcess: dominant,
        idleDominantProcess: idleDominant,
        hops,
        aggregateToMilestone: milestoneHop,
        endToEnd,
        completeSamples: complete.length,
        coverage,
        salesRecordsWithoutCommitMarker: withoutMarker,
        amplification,
        milestones: {
          expected: expectedMilestones,
          recorded: milestoneRows.length,
          revenueStepEuros,
          productUnitsStep,
        },
        targets: t,
        meetsTargets: meets,
        memory,
      },
      markdown: [
        `## cost — CPU and latency per hop at ${fmt(achieved)} sales/s (window ${(cpu.windowMs / 1000).toFixed(1)} s after ${warmupSeconds} s warm-up; four workers, Debezium, fake Slack)`,
        '',
        `| process | processes | CPU in window | ms / sale | % of one core | idle: % of one core |`,
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...names.map((n) => {
          const p = processes[n] as (typeof processes)[string];
          return `| ${PROCESS_LABEL[n]} | ${p.processes} | ${fmt(p.cpuMs)} ms | ${p.msPerSale.toFixed(3)} | ${p.percentOfCore} % | ${p.idlePercentOfCore} % |`;
        }),
        `| **whole stack** | | ${fmt(stackTotal.cpuMs)} ms | **${stackTotal.msPerSale.toFixed(3)}** | ${stackTotal.percentOfCore} % | **${stackTotal.idlePercentOfCore} %** |`,
        `| _(the bench itself: appender, not counted)_ | 1 | ${fmt(benchCpuMs)} ms | ${perSale(benchCpuMs).toFixed(3)} | ${pct(benchCpuMs, cpu.windowMs)} % | ${pct(idleBenchMs, idle.windowMs)} % |`,
        '',
        `Most CPU: ${PROCESS_LABEL[dominant]} (${processes[dominant]?.msPerSale.toFixed(3)} ms/sale, ${Math.round(((cpu.ms[dominant] ?? 0) / totalMs) * 100)} % of the stack's); idle: ${PROCESS_LABEL[idleDominant]} (${processes[idleDominant]?.idlePercentOfCore} % of a core). Idle measured over ${(idle.windowMs / 1000).toFixed(1)} s once caught up (${(caughtUpMs / 1000).toFixed(1)} s after the load stopped).`,
        '',
        `| hop: from → to | samples | p50 | p99 | max | mean |`,
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...hops.map(
          (h) =>
            `| ${HOP_LABEL[h.from]} → ${HOP_LABEL[h.to]} | ${fmt(h.samples)} | ${ms(h.p50Ms)} | ${ms(h.p99Ms)} | ${ms(h.maxMs)} | ${ms(h.meanMs)} |`,
        ),
        `| aggregates committed → milestone recorded | ${fmt(milestoneHop.samples)} | ${ms(milestoneHop.p50Ms)} | ${ms(milestoneHop.p99Ms)} | ${ms(milestoneHop.maxMs)} | ${ms(milestoneHop.meanMs)} |`,
        `| **end to end: appended → aggregates committed** (same sales) | ${fmt(endToEnd.aggregatesOfComplete.samples)} | ${ms(endToEnd.aggregatesOfComplete.p50Ms)} | ${ms(endToEnd.aggregatesOfComplete.p99Ms)} | ${ms(endToEnd.aggregatesOfComplete.maxMs)} | ${ms(endToEnd.aggregatesOfComplete.meanMs)} |`,
        '',
        `Hops over the ${fmt(complete.length)} of ${fmt(windowSales)} window sales that have every timestamp (${withoutMarker} \`sales\` records without a COMMIT marker read), so the mean hops add up to the mean end to end. Largest mean hop: ${slowestHop ? `${HOP_LABEL[slowestHop.from]} → ${HOP_LABEL[slowestHop.to]} (${slowestHop.meanMs} ms)` : '—'}; largest p99: ${slowestP99Hop ? `${HOP_LABEL[slowestP99Hop.from]} → ${HOP_LABEL[slowestP99Hop.to]} (${slowestP99Hop.p99Ms} ms)` : '—'}. Kafka and Debezium timestamps are ms; PostgreSQL's µs.`,
        '',
        '| target (issue 13) | measured | verdict |',
        '| --- | ---: | --- |',
        `| CPU per sale, whole stack, at ${fmt(ratePerSecond)} sales/s ≤ ${t.cpuMsPerSale} ms | ${stackTotal.msPerSale.toFixed(3)} ms | ${verdict(stackTotal.msPerSale, t.cpuMsPerSale, ' ms', 3)} |`,
        `| idle ≤ ${t.idlePercentOfCore} % of one core | ${stackTotal.idlePercentOfCore} % | ${verdict(stackTotal.idlePercentOfCore, t.idlePercentOfCore, ' %', 1)} |`,
        `| p99 appended → \`sales\` row ≤ ${t.rowP99Ms} ms | ${endToEnd.row.p99Ms} ms (${fmt(endToEnd.row.samples)}) | ${verdict(endToEnd.row.p99Ms, t.rowP99Ms, ' ms', 1)} |`,
        `| p99 appended → aggregates ≤ ${t.aggregateP99Ms} ms | ${aggregatesP99} ms (${fmt(endToEnd.aggregates.samples)}) | ${verdict(aggregatesP99, t.aggregateP99Ms, ' ms', 1)} |`,
        `| p99 appended → milestone ≤ ${t.milestoneP99Ms} ms | ${endToEnd.milestone.p99Ms} ms (${fmt(endToEnd.milestone.samples)}) | ${verdict(endToEnd.milestone.p99Ms, t.milestoneP99Ms, ' ms', 1)} |`,
        '',
        `Per sale over the window: ${fmt(amplification.walBytesPerSale)} B of WAL, ${amplification.transactionsPerSale} PostgreSQL transactions, ${amplification.tuplesWrittenPerSale} tuples written (pg_stat_database, flushed by backends about once a second), ${amplification.kafkaMessagesPerSale} Kafka records incl. transaction markers (${Object.entries(
          amplification.kafkaMessagesPerSaleByTopic,
        )
          .map(([topic, n]) => `${topic} ${n}`)
          .join(
            ', ',
          )}). Milestones: ${milestoneRows.length} of ${expectedMilestones} expected (every ${fmt(revenueStepEuros)} € of revenue, every ${fmt(productUnitsStep)} units of a product).`,
      ],
    };
  } finally {
    await stopAll();
    await slack.stop();
    await admin.disconnect().catch(() => undefined);
    await db.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
