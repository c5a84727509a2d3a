/**
 * http — sales pushed over HTTP through the whole running pipeline (the four workers and the ingest
 * server):
 *   1. throughput, with autocannon: batches of 100 sales (JSON), as many connections as BENCH_HTTP_CONNECTIONS (16), for
 *      BENCH_HTTP_SECONDS (60): sales/s answered 200 (each committed in Kafka before its answer), then how
 *      long the aggregates took to catch up once the burst was over;
 *   2. latency: BENCH_HTTP_RATE (300) single-sale requests a second for BENCH_HTTP_LATENCY_SECONDS (30),
 *      paced (one every 1/rate s, open loop: lib/paced-load.ts): p50/p90/p99 request → 200;
 *   3. the ingest process's peak resident memory (VmHWM).
 */
import autocannon from 'autocannon';
import type { RunningStack } from '@sales-pipeline/stack';
import { freePort } from '@sales-pipeline/stack';
import { fmt, sizeFromEnv, until } from '../bench-stack.ts';
import { startLivePipeline } from '../lib/live-pipeline.ts';
import type { PartResult } from '../lib/part.ts';
import { pacedLoad } from '../lib/paced-load.ts';
import { downstreamNice, startWorker, whileAlive, workerEnv } from '../lib/workers.ts';
import { cpuMeter, cpuPerSaleText } from '../lib/proc-cpu.ts';
import { stackRoots } from './cost.ts';

const TOKEN = 'bench-ingest-token-0123456789';
const ms = (value: number) => value.toFixed(1);

/** Bodies of `size` sales with ids unique to this run (`<prefix><n>`), cycled over products and stores. */
function body(prefix: string, from: number, size: number): string {
  const sales = Array.from({ length: size }, (_, i) => {
    const n = from + i;
    return {
      id: `${prefix}${n}`,
      date: `2024-0${1 + (n % 9)}-${String(1 + (n % 28)).padStart(2, '0')}`,
      product_id: `REF00${1 + (n % 5)}`,
      quantity: 1 + (n % 5),
      store_id: String(1 + (n % 7)),
    };
  });
  return JSON.stringify({ source: 'bench', sales });
}

async function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

export async function http(stack: RunningStack): Promise<PartResult> {
  const seconds = sizeFromEnv('BENCH_HTTP_SECONDS', 60);
  const connections = sizeFromEnv('BENCH_HTTP_CONNECTIONS', 16);
  const rate = sizeFromEnv('BENCH_HTTP_RATE', 300);
  const latencySeconds = sizeFromEnv('BENCH_HTTP_LATENCY_SECONDS', 30);
  // The ingest server runs: DOWNSTREAM_NICE, unset, is what `up` gives the downstream then (10).
  process.env.BENCH_RUNS_INGEST = '1';
  try {
    return await measure(stack, { seconds, connections, rate, latencySeconds });
  } finally {
    delete process.env.BENCH_RUNS_INGEST;
  }
}

async function measure(
  stack: RunningStack,
  settings: { seconds: number; connections: number; rate: number; latencySeconds: number },
): Promise<PartResult> {
  const { seconds, connections, rate, latencySeconds } = settings;
  const pipeline = await startLivePipeline(stack, 'http', {
    rows: 0,
    revenueStepEuros: 100_000,
    productUnitsStep: 10_000,
  });
  const port = await freePort();
  const ingest = startWorker('ingest', ['ingest'], {
    ...workerEnv(stack),
    INGEST_PORT: String(port),
    INGEST_TOKEN: TOKEN,
  });
  const url = `http://127.0.0.1:${port}/v1/sales`;
  try {
    await pipeline.whileAlive(
      until(
        'the ingest server',
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok || undefined,
        {
          timeoutMs: 120_000,
        },
      ),
    );
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    // Warm-up: the workers join their groups, the first sales flow to the aggregates.
    await fetch(url, { method: 'POST', headers, body: body('warm', 0, 100) });
    await pipeline.whileAlive(pipeline.waitUntilFlowing(100, 'the warm-up sales in the aggregates'));

    // 1. Throughput, batches of 100. The CPU of every process tree over the burst (the load tool,
    // autocannon, runs in this process and shares the two cores: it is counted as `bench`).
    const roots: Record<string, number> = { ...stackRoots('http'), ingest: ingest.child.pid as number };
    for (const w of pipeline.workers) roots[w.name] = w.child.pid as number;
    const burstCpu = cpuMeter(roots);
    let next = 0;
    process.stdout.write(`http: ${seconds} s of batches of 100 sales on ${connections} connections…\n`);
    // The ingest server dying fails the part with its output (which says why), not as refused requests.
    const burst = await whileAlive(
      [ingest],
      run({
        url,
        method: 'POST',
        headers,
        connections,
        duration: seconds,
        requests: [{ setupRequest: (req) => ({ ...req, body: body('b', (next += 100) - 100, 100) }) }],
      }),
    );
    const ok = burst['2xx'];
    const { perSale: cpuPerSale, coresBusy } = burstCpu.stop(ok * 100);
    const salesPerSecond = (ok * 100) / seconds;
    const burstEnded = Date.now();
    const expected = 100 + ok * 100;
    await pipeline.whileAlive(
      until(
        'the burst in the aggregates',
        async (saw) => {
          const n = await pipeline.aggregatedSales();
          saw(`${n} of ${expected}`);
          return n >= expected ? true : undefined;
        },
        { intervalMs: 500, timeoutMs: 900_000, stallMs: 180_000 },
      ),
    );
    const catchUpSeconds = (Date.now() - burstEnded) / 1000;
    // Which phase sets the ingest server's peak: the burst, or the single-sale requests after it.
    const burstPeakMb = ingest.peakMb();

    // 2. Latency of single sales at a steady rate.
    // Paced, not autocannon: its rate limit sends each connection's share of a second back to back at the
    // start of the second (bursts, see bench/lib/paced-load.ts).
    process.stdout.write(`http: ${latencySeconds} s at ${rate} single-sale requests/s (paced)…\n`);
    const steadyCpu = cpuMeter(roots);
    const steady = await whileAlive(
      [ingest],
      pacedLoad({
        url,
        headers,
        rate,
        seconds: latencySeconds,
        body: (n) => body('s', n, 1),
      }),
    );
    const steadyUse = steadyCpu.stop(steady.ok);
    const peaks = await pipeline.stopWorkers();
    await ingest.stop();
    const figures = {
      seconds,
      connections,
      batchSize: 100,
      requestsOk: ok,
      non2xx: burst.non2xx,
      errors: burst.errors,
      salesPerSecond,
      burstP99Ms: burst.latency.p99,
      catchUpSeconds,
      singleRate: rate,
      singleRequestsSent: steady.sent,
      singleRequestsOk: steady.ok,
      singleNotOk: steady.notOk + steady.errors,
      singleSentLate: steady.late,
      singleP50Ms: steady.p50Ms,
      singleP90Ms: steady.p90Ms,
      singleP99Ms: steady.p99Ms,
      singleMaxMs: steady.maxMs,
      ingestPeakMb: ingest.peakMb(),
      ingestPeakAfterBurstMb: burstPeakMb,
      downstreamNice: downstreamNice(),
      burstCpuMsPerSale: cpuPerSale,
      burstCoresBusy: coresBusy,
      singleCpuMsPerSale: steadyUse.perSale,
      singleCoresBusy: steadyUse.coresBusy,
      ...peaks,
    };
    return {
      figures,
      markdown: [
        `## http (sales pushed over HTTP, through the whole running pipeline)`,
        '',
        `| figure | value | target |`,
        `| --- | ---: | --- |`,
        `| sales/s answered 200, batches of 100, ${connections} connections, ${seconds} s | ${fmt(salesPerSecond)} (${fmt(ok)} requests, ${burst.non2xx} not 2xx, ${burst.errors} errors; p99 ${burst.latency.p99} ms) | ≥ 5,000 |`,
        `| aggregates caught up after the burst | ${catchUpSeconds.toFixed(1)} s | |`,
        `| CPU during the burst: cores busy, and per sale by process tree | ${coresBusy.toFixed(2)} of 2; ${cpuPerSaleText(cpuPerSale)} | |`,
        `| ${rate} single-sale requests/s for ${latencySeconds} s, paced: p50 / p90 / p99 / max request → 200 | ${ms(steady.p50Ms)} / ${ms(steady.p90Ms)} / ${ms(steady.p99Ms)} / ${ms(steady.maxMs)} ms (${fmt(steady.ok)} of ${fmt(steady.sent)} answered 200; ${steady.late} sent over 5 ms late) | p99 ≤ 60 ms |`,
        `| CPU during the single-sale requests: cores busy, and per sale by process tree | ${steadyUse.coresBusy.toFixed(2)} of 2; ${cpuPerSaleText(steadyUse.perSale)} | |`,
        `| ingest process peak memory (by the end of the burst) | ${ingest.peakMb().toFixed(0)} MiB (${burstPeakMb.toFixed(0)} MiB) | ≤ 150 MiB |`,
        '',
        `DOWNSTREAM_NICE=${downstreamNice()}${process.env.DOWNSTREAM_NICE === undefined ? ' (unset: what `up` gives the downstream while the ingest server runs)' : ''}: the consumer, analytics, the notifier, Connect and PostgreSQL ${downstreamNice() > 0 ? `at niceness ${downstreamNice()}` : 'at the same priority as the ingest server and the broker'}.`,
        '',
      ],
    };
  } finally {
    await ingest.stop();
    await pipeline.close();
  }
}
