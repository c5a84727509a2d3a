/**
 * Measures what the dashboard costs on a running demo pipeline: `up --demo --detach --rate N` under a
 * home of its own, then the dashboard process's CPU (utime + stime from /proc/<pid>/stat) over a
 * window with no page open and over one with a page open in headless Chromium; the page's weight as
 * sent; a screenshot of the page with the sales moving. Stops everything it started.
 *
 *   node --import tsx dashboard/test/measure.ts [--rate 300] [--seconds 60] [--screenshot docs/dashboard.png]
 *
 * Run it alone on the machine (it starts the whole stack): flock /tmp/sales-pipeline-heavy.lock …
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { freePort, REPO_ROOT } from '@sales-pipeline/stack';
import { runCli } from '../../test-support/cli-processes.ts';
import { launchChromium } from './browser.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '60' },
    screenshot: { type: 'string', default: path.join(REPO_ROOT, '.stack', 'dashboard-demo.png') },
  },
});
const seconds = Number(values.seconds);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-measure-'));
// mkdtemp makes it 0700; PostgreSQL runs as `postgres` when we are root, and must enter it.
fs.chmodSync(home, 0o711);
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  SALES_PIPELINE_HOME: home,
  SALES_PIPELINE_CACHE: process.env.SALES_PIPELINE_CACHE,
  LOG_LEVEL: 'warn',
  DASHBOARD_PORT: String(await freePort()),
};
const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

async function status() {
  const r = await runCli(['status', '--json', '--sample', '2000'], env);
  return JSON.parse(r.stdout) as {
    dashboard: { url: string; pid: number } | null;
    workers: Array<{ name: string; pid: number | null; ratePerSecond: number | null }>;
  };
}

async function window(pid: number, label: string) {
  const before = cpuTicks(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = (cpuTicks(pid) - before) / TICKS;
  const elapsed = (performance.now() - started) / 1000;
  const s = await status();
  const rate = (name: string) => s.workers.find((w) => w.name === name)?.ratePerSecond;
  const line =
    `${label}: dashboard process ${used.toFixed(2)} s CPU in ${elapsed.toFixed(1)} s = ` +
    `${((used / elapsed) * 100).toFixed(2)} % of a core; consumer ${rate('consumer')} sales/s, ` +
    `analytics ${rate('analytics')} changes/s`;
  process.stdout.write(`${line}\n`);
  return line;
}

let browser: Browser | undefined;
try {
  const up = await runCli(['up', '--demo', '--detach', '--rate', String(values.rate)], env, 600_000);
  process.stdout.write(up.stdout);
  if (up.code !== 0) throw new Error(`up failed: ${up.stderr}`);
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  const s = await status();
  if (!s.dashboard) throw new Error('no dashboard in status');
  const pid = s.dashboard.pid;
  const results = [await window(pid, 'no page open')];

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const files = new Set<string>();
  page.on('response', (r) => {
    if (!r.url().endsWith('/events')) files.add(r.url());
  });
  await page.goto(s.dashboard.url);
  await page.waitForFunction(
    () => document.querySelector('[data-testid="kpi-revenue"]')?.textContent !== '–',
  );
  results.push(await window(pid, 'one page open'));

  let bytes = 0;
  for (const file of files) {
    const r = await fetch(file, { headers: { 'accept-encoding': 'gzip' } });
    bytes += Number(r.headers.get('content-length') ?? 0);
  }
  results.push(`page weight: ${bytes} bytes as sent (gzip), ${files.size} files`);
  process.stdout.write(`${results.at(-1)}\n`);
  fs.mkdirSync(path.dirname(values.screenshot), { recursive: true });
  await page.screenshot({ path: values.screenshot, fullPage: true });
  process.stdout.write(`screenshot: ${values.screenshot}\n`);
  fs.writeFileSync(path.join(REPO_ROOT, '.stack', 'dashboard-measure.txt'), `${results.join('\n')}\n`);
} finally {
  await browser?.close();
  const down = await runCli(['down', '--purge'], env, 240_000);
  process.stdout.write(down.stdout);
}
