/**
 * npm run bench [-- <part> …] — the benchmark parts, each on a fresh native stack of its own
 * (`.stack/bench-<part>`, stopped at the end), every figure of a part measured side by side in one run:
 *
 *   ingest     CSV → producer → Kafka → consumer → `sales` vs COPY of the same rows     BENCH_ROWS (1,000,000)
 *   sink       our consumer vs the Debezium JDBC sink connector                         BENCH_SINK_ROWS (BENCH_ROWS)
 *   naive      SELECT + INSERT per row vs our consumer                                  BENCH_NAIVE_ROWS (50,000)
 *   latency    line → row / aggregate / milestone at a steady rate                      BENCH_RATE (1,000), BENCH_SECONDS (30)
 *   aggregate  analytics cost per change, large vs small table                          BENCH_CHANGES, BENCH_BASE_SMALL, BENCH_BASE_LARGE
 *   memory     peak resident memory of each worker process (from ingest and latency: runs both)
 *   cost       CPU ms per sale of each process, idle cost, latency per hop, at a set rate   BENCH_RATE (300),
 *              BENCH_WARMUP_SECONDS (60), BENCH_SECONDS (60), BENCH_IDLE_SECONDS (30)
 *   http       sales pushed over HTTP (autocannon): sales/s in batches of 100, p99 of     BENCH_HTTP_SECONDS (60),
 *              single sales at a set rate, the ingest server's peak memory                 BENCH_HTTP_RATE (300)
 *   backfill   `sales-pipeline backfill` beside the running pipeline and a live feed: rows BENCH_BACKFILL_ROWS (BENCH_ROWS),
 *              into sales vs COPY, aggregates' catch-up, live p99 alone vs during, CPU  BENCH_BACKFILL_LIVE_RATE (50)
 *
 * No argument runs them all. Results go to bench/results/latest.json (merged: a part run alone replaces
 * that part's figures only) and bench/results/latest.md. BENCH_SECURE=1 runs them on a secured stack
 * (SASL_SSL with SCRAM-SHA-512, PostgreSQL over TLS, Connect with a login), to weigh what security costs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT, type RunningStack } from '@sales-pipeline/stack';
import { benchStack, fmt } from './bench-stack.ts';
import type { PartResult } from './lib/part.ts';
import { aggregate } from './parts/aggregate.ts';
import { backfill } from './parts/backfill.ts';
import { cost } from './parts/cost.ts';
import { http } from './parts/http.ts';
import { ingest } from './parts/ingest.ts';
import { latency } from './parts/latency.ts';
import { naive } from './parts/naive.ts';
import { sink } from './parts/sink.ts';

const PARTS: Record<string, (stack: RunningStack) => Promise<PartResult>> = {
  ingest,
  sink,
  naive,
  latency,
  aggregate,
  cost,
  http,
  backfill,
};
const ORDER = ['ingest', 'sink', 'naive', 'latency', 'aggregate', 'cost', 'http', 'backfill'];

const args = process.argv.slice(2).filter((a) => a !== '--');
for (const arg of args) {
  if (!(arg in PARTS) && arg !== 'memory') {
    process.stderr.write(`unknown part ${arg}; parts: ${[...ORDER, 'memory'].join(', ')}\n`);
    process.exit(2);
  }
}
const wanted = new Set(
  args.length === 0 ? ORDER : args.flatMap((a) => (a === 'memory' ? ['ingest', 'latency'] : [a])),
);
const selected = ORDER.filter((p) => wanted.has(p));

const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
const jsonFile = path.join(resultsDir, 'latest.json');
interface Results {
  machine?: Record<string, unknown>;
  parts: Record<string, Record<string, unknown> & { markdown?: string[] }>;
}
const previous: Results = fs.existsSync(jsonFile)
  ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Results)
  : { parts: {} };

const pomText = fs.readFileSync(path.join(REPO_ROOT, 'stack', 'pom.xml'), 'utf8');
const pomProperty = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(pomText)?.[1];

async function machine(stack: RunningStack): Promise<Record<string, unknown>> {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const db = new pg.Client({ connectionString: stack.secrets.adminDatabaseUrl });
  await db.connect();
  const pgVersion = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]
    ?.v;
  await db.end();
  let java: string | undefined;
  try {
    java = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    java = (error as { stderr?: string }).stderr;
  }
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    kafka: pomProperty('kafka.version'),
    debezium: pomProperty('debezium.version'),
    debeziumJdbcSink: pomProperty('debezium.jdbc.version'),
    java: java
      ?.split('\n')
      .find((l) => l.includes('version'))
      ?.trim(),
  };
}

const now: Results = { machine: previous.machine, parts: { ...previous.parts } };
let failed = false;
for (const name of selected) {
  const part = PARTS[name] as (stack: RunningStack) => Promise<PartResult>;
  process.stdout.write(`\n== ${name}: starting a fresh stack (.stack/bench-${name})…\n`);
  let stack: RunningStack;
  try {
    stack = await benchStack(name);
  } catch (error) {
    failed = true;
    process.stderr.write(
      `${name}: the stack did not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    continue;
  }
  try {
    now.machine = await machine(stack);
    const loadBefore = os.loadavg()[0];
    const started = Date.now();
    const result = await part(stack);
    now.parts[name] = {
      ...result.figures,
      measuredAt: new Date().toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      loadAverage1m: { before: loadBefore, after: os.loadavg()[0] },
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
      markdown: result.markdown,
    };
    process.stdout.write(`${result.markdown.join('\n')}\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(
      `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  } finally {
    await stack.down();
  }
}

// Merged with the file as it is now (another `npm run bench -- <part>` may have written it meanwhile).
const current: Results = fs.existsSync(jsonFile)
  ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Results)
  : { parts: {} };
for (const [name, part] of Object.entries(current.parts))
  if (!selected.includes(name) && name !== 'memory') now.parts[name] = part;
// Part "memory": the peak resident memory of each worker process, from the parts that ran them.
const memoryOf = (part: string) => (now.parts[part]?.memory ?? {}) as Record<string, number>;
if (now.parts.ingest || now.parts.latency) {
  now.parts.memory = {
    ingest: memoryOf('ingest'),
    latency: memoryOf('latency'),
    markdown: [
      '## memory — peak resident memory (VmHWM) of each worker process',
      '',
      '| worker | during ingest | during latency |',
      '| --- | ---: | ---: |',
      ...['producer', 'consumer', 'analytics', 'notifier'].map((w) => {
        const cell = (part: string) => {
          const mb = memoryOf(part)[`${w}PeakMb`];
          return mb === undefined ? '—' : `${fmt(mb)} MiB`;
        };
        return `| ${w} | ${cell('ingest')} | ${cell('latency')} |`;
      }),
    ],
  };
}

// latest.json is not committed, latest.md is: a part this machine has no figures of keeps its section of
// latest.md as it is (a fresh clone running one part does not drop the others).
const mdFile = path.join(resultsDir, 'latest.md');
const earlierSections = new Map<string, string[]>();
if (fs.existsSync(mdFile)) {
  let section: string[] | undefined;
  for (const line of fs.readFileSync(mdFile, 'utf8').split('\n')) {
    const heading = /^## ([a-z]+)/.exec(line);
    if (heading?.[1]) earlierSections.set(heading[1], (section = []));
    else if (line.startsWith('# ')) section = undefined;
    section?.push(line);
  }
  for (const lines of earlierSections.values()) {
    while (lines.at(-1) === '') lines.pop();
    lines.push('');
  }
}

fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(jsonFile, `${JSON.stringify(now, null, 2)}\n`);
const m = now.machine ?? {};
const md = [
  '# Benchmarks (`npm run bench`)',
  '',
  `Machine: ${String(m.cpuModel)}, ${String(m.cores)} cores, ${String(m.memoryGiB)} GiB; Node ${String(m.node)}, PostgreSQL ${String(m.postgres)}, Kafka ${String(m.kafka)}, Debezium ${String(m.debezium)} (JDBC sink ${String(m.debeziumJdbcSink)}). Each part ran on a fresh native stack; see latest.json for every figure, when each part ran and the load average around it.`,
  '',
  ...[...ORDER, 'memory'].flatMap((name) => {
    const part = now.parts[name];
    if (!part?.markdown) return earlierSections.get(name) ?? [];
    return [...part.markdown, '', ...(part.measuredAt ? [`_measured ${String(part.measuredAt)}_`, ''] : [])];
  }),
];
fs.writeFileSync(mdFile, `${md.join('\n')}\n`);
process.stdout.write(`\n(written to ${path.relative(process.cwd(), jsonFile)} and latest.md)\n`);
process.exit(failed ? 1 : 0);
