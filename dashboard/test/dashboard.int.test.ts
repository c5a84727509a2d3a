import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '@sales-pipeline/stack';
import { eventually } from '../../test-support/eventually.ts';
import { runCli } from '../../test-support/cli-processes.ts';
import { ownPipelineEnv, ownPipelineHome } from '../../test-support/own-pipeline.ts';
import { formatMoney } from '../src/shared/format.ts';
import type { PipelineSection } from '../src/shared/types.ts';
import { cell, launchChromium, statusWithHost, text } from './browser.ts';

/**
 * The dashboard in a real browser, on the client's files produced through the whole pipeline: `up
 * --detach` with the three feeds of data/pme (copied: the test appends to them) starts the stack, the
 * workers and the dashboard; headless Chromium loads the page and compares it with `report --json`.
 */
const home = ownPipelineHome('test-dashboard');
const feeds = path.join(REPO_ROOT, '.stack', 'test-dashboard-feeds');
const SCREENSHOT = path.join(REPO_ROOT, '.stack', 'dashboard.png');
const HOSTILE = '<script>window.__pwned=1</script> <!channel> *bold* <https://evil.example|click> &amp;';

let env: NodeJS.ProcessEnv;
let url: string;
let browser: Browser;

interface Report {
  revenue_total: { revenue: string; units: number; sales: number };
  by_product: Array<{
    product_id: string;
    name: string | null;
    revenue: string;
    units: number;
    sales: number;
  }>;
  by_region: Array<{ region: string; revenue: string; units: number; sales: number }>;
}

async function report(): Promise<Report> {
  const result = await runCli(['report', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

/** Appends one CSV row, after a line ending if the file has none at its end (the client's files). */
function appendRow(file: string, row: string): void {
  const text = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, `${text.endsWith('\n') ? '' : '\r\n'}${row}\r\n`);
}

beforeAll(async () => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(feeds, { recursive: true, force: true });
  fs.mkdirSync(feeds, { recursive: true });
  for (const name of ['produits.csv', 'magasins.csv', 'ventes.csv'])
    fs.copyFileSync(path.join(REPO_ROOT, 'data', 'pme', name), path.join(feeds, name));
  env = ownPipelineEnv(home, {
    SALES_FEED: path.join(feeds, 'ventes.csv'),
    PRODUCTS_FEED: path.join(feeds, 'produits.csv'),
    STORES_FEED: path.join(feeds, 'magasins.csv'),
    DASHBOARD_PORT: String(await freePort()),
  });
  const up = await runCli(['up', '--detach'], env, 600_000);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
  const printed = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(up.stdout);
  expect(printed, up.stdout).not.toBeNull();
  url = printed?.[1] as string;
  expect(url).toBe(`http://127.0.0.1:${env.DASHBOARD_PORT}/`);
  browser = await launchChromium();
}, 660_000);

afterAll(async () => {
  await browser?.close();
  await runCli(['down', '--purge'], env, 240_000);
  fs.rmSync(feeds, { recursive: true, force: true });
}, 300_000);

describe('the dashboard served by up', () => {
  it('status shows its URL; it serves a CSP with no inline script and reads through the reporting role', async () => {
    const status = await runCli(['status', '--json', '--sample', '200'], env);
    const parsed = JSON.parse(status.stdout) as {
      dashboard: { url: string } | null;
      workers: Array<{ name: string }>;
    };
    expect(parsed.dashboard?.url).toBe(url);
    expect(parsed.workers.map((w) => w.name)).toContain('dashboard');
    expect((await runCli(['status'], env)).stdout).toContain(`dashboard: ${url}`);

    const response = await fetch(url);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // A request addressed to another name (DNS rebinding) is refused.
    expect(await statusWithHost(url, `evil.example:${env.DASHBOARD_PORT}`)).toBe(421);
    // Every read is through sales_reader: no secret and no writer role in anything it sends.
    for (const api of ['sales', 'pipeline', 'dead-letters', 'milestones']) {
      const body = await (await fetch(new URL(`/api/${api}`, url))).text();
      expect(body, api).not.toMatch(/password|sales_app:|postgres(ql)?:\/\/[^"]*:[^"@]*@/i);
    }
  });

  it('shows the totals, a product and a region as report does; a new sale moves them without a reload; hostile names are text', async () => {
    // The client's 29 sales through the pipeline.
    const lines = fs.readFileSync(path.join(feeds, 'ventes.csv'), 'utf8').trim().split(/\r?\n/).length - 1;
    const first = await eventually(report, (r) => r.revenue_total.sales === lines, 120_000);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(e.message));
    page.on('dialog', (d) => {
      violations.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    const loaded: string[] = [];
    page.on('response', (r) => {
      if (!r.url().endsWith('/events')) loaded.push(r.url());
    });
    await page.goto(url);

    await expect
      .poll(() => text(page, '[data-testid="kpi-revenue"]'), { timeout: 15_000 })
      .toBe(formatMoney(first.revenue_total.revenue, 'fr'));
    expect(await text(page, '[data-testid="kpi-sales"]')).toBe(String(first.revenue_total.sales));
    const product = first.by_product[0] as Report['by_product'][number];
    await expect
      .poll(() => cell(page, 'by-product', product.product_id, 5))
      .toBe(formatMoney(product.revenue, 'fr'));
    expect(await cell(page, 'by-product', product.product_id, 2)).toBe(product.name);
    const region = first.by_region[0] as Report['by_region'][number];
    expect(await cell(page, 'by-region', region.region, 4)).toBe(formatMoney(region.revenue, 'fr'));

    // The pipeline's health: every worker running, the consumer group's lag per partition, the topics.
    await expect
      .poll(() => page.locator('[data-testid="workers"] tbody tr').count(), { timeout: 15_000 })
      .toBe(5);
    await expect
      .poll(
        () => page.locator('[data-testid="lag"] tr[data-key^="sales-pipeline.consumer/sales/"]').count(),
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThan(0);
    expect(await page.locator('[data-testid="topics"] tr[data-key="sales"]').count()).toBe(1);
    const pipeline = (await (await fetch(new URL('/api/pipeline', url))).json()) as PipelineSection;
    expect(pipeline.connector?.state).toBe('RUNNING');
    expect(pipeline.replicationSlot?.active).toBe(true);
    expect(pipeline.latency.find((l) => l.metric === 'consumer_line_to_row_seconds')?.count).toBeGreaterThan(
      0,
    );
    await expect
      .poll(() => page.locator('[data-testid="banner"]').isHidden(), { timeout: 15_000 })
      .toBe(true);

    // A sale appended to the feed: the total changes on the open page, without a reload.
    appendRow(path.join(feeds, 'ventes.csv'), '2023-06-30,REF004,3,2');
    const second = await eventually(report, (r) => r.revenue_total.sales === lines + 1, 60_000);
    expect(second.revenue_total.revenue).not.toBe(first.revenue_total.revenue);
    await expect
      .poll(() => text(page, '[data-testid="kpi-revenue"]'), { timeout: 5_000 })
      .toBe(formatMoney(second.revenue_total.revenue, 'fr'));

    // A product whose name is markup, a Slack mention, mrkdwn and a link: shown as those characters.
    appendRow(path.join(feeds, 'produits.csv'), `"${HOSTILE.replace(/"/g, '""')}",REF666,10.00,5`);
    appendRow(path.join(feeds, 'ventes.csv'), '2023-06-30,REF666,1,1');
    await eventually(
      report,
      (r) => r.by_product.some((p) => p.product_id === 'REF666' && p.name === HOSTILE),
      60_000,
    );
    await expect.poll(() => cell(page, 'by-product', 'REF666', 2), { timeout: 5_000 }).toBe(HOSTILE);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('[data-testid="by-product"] a, [data-testid="by-product"] b').count()).toBe(0);

    // Trust: the aggregates verified against the sales; a click on a row explains its figure.
    await expect
      .poll(() => text(page, '[data-testid="verified-through"]'), { timeout: 30_000 })
      .toContain('Agrégats vérifiés contre les ventes');
    expect(await page.locator('[data-testid="drift"]').count()).toBe(0);
    const lyon = await eventually(
      () => runCli(['report', 'explain', 'city', 'Lyon', '--json'], env),
      (r) => r.code === 0,
      30_000,
    );
    const explained = JSON.parse(lyon.stdout) as { sum: { revenue: string }; contributions: unknown[] };
    await page.locator('[data-testid="by-city"] tr[data-key="Lyon"]').click();
    await expect
      .poll(() => page.locator('[data-testid="explain-sale"]').count(), { timeout: 10_000 })
      .toBe(explained.contributions.length);
    expect(await text(page, '[data-testid="explain-summary"]')).toContain(
      `somme ${formatMoney(explained.sum.revenue, 'fr')}`,
    );
    expect(await text(page, '[data-testid="explain-summary"]')).toContain('égal');

    expect(navigations).toBe(1);
    expect(violations).toEqual([]);

    // Page weight: every file the page loaded, as sent (gzip).
    let bytes = 0;
    for (const file of new Set(loaded)) {
      const r = await fetch(file, { headers: { 'accept-encoding': 'gzip' } });
      bytes += Number(r.headers.get('content-length') ?? (await r.arrayBuffer()).byteLength);
    }
    process.stderr.write(`dashboard page weight: ${bytes} bytes in ${new Set(loaded).size} files\n`);
    expect(bytes).toBeLessThanOrEqual(500 * 1024);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  }, 300_000);
});
