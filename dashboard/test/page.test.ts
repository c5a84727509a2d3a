import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type DashboardServer } from '../src/server/http-server.ts';
import { formatMoney } from '../src/shared/format.ts';
import { cell, CHROMIUM, launchChromium, statusWithHost, text } from './browser.ts';
import { FakeHub } from './fake-hub.ts';
import { fakePipeline, fakeSales, HOSTILE } from './fake-sections.ts';

/**
 * The page in headless Chromium against the real server and a fake hub (no stack): rendering, live
 * updates, hostile strings shown as text, no CSP violation, sorting, the English locale. The page on
 * the real pipeline is tested by dashboard.int.test.ts.
 */
const hub = new FakeHub();
let server: DashboardServer;
let browser: Browser;

async function open(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('dialog', (d) => {
    problems.push(`dialog ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${server.url}${query}`);
  await expect.poll(() => text(page, '[data-testid="kpi-revenue"]')).not.toBe('–');
  return { page, problems };
}

beforeAll(async () => {
  server = await startHttpServer(hub, { host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.skipIf(!fs.existsSync(CHROMIUM))('the dashboard page (fake data)', () => {
  it('renders the sections, hostile names as text, and no CSP violation', async () => {
    const { page, problems } = await open();
    expect(await text(page, '[data-testid="kpi-revenue"]')).toBe('5\u202f268,78 €');
    expect(await cell(page, 'by-product', 'REF004', 5)).toBe('2\u202f399,70 €');
    expect(await cell(page, 'by-product', 'REF666', 2)).toBe(HOSTILE.product);
    expect(await cell(page, 'by-city', HOSTILE.city, 1)).toBe(HOSTILE.city);
    expect(await cell(page, 'by-region', HOSTILE.region, 1)).toBe(HOSTILE.region);
    expect(await text(page, '[data-testid="dead-letters"] tbody tr td:nth-child(4)')).toBe(HOSTILE.reason);
    expect(await text(page, '[data-testid="dead-letters"] tbody tr td:nth-child(5)')).toBe(HOSTILE.raw);
    expect(await text(page, '[data-testid="milestone"] span')).toBe(
      `📦 ${HOSTILE.product} : 25 unités vendues`,
    );
    expect(await text(page, '[data-testid="kpi-gross-revenue"]')).toBe('5\u202f318,78 €');
    expect(await text(page, '[data-testid="kpi-returns-revenue"]')).toBe('50,00 €');
    expect(await text(page, '[data-testid="kpi-returns"]')).toBe('1');
    expect(await text(page, '[data-testid="held-feed"]')).toContain(`${HOSTILE.feed} retenu depuis`);
    expect(await text(page, '[data-testid="held-feed"]')).toContain(`(${HOSTILE.reason})`);
    expect(await cell(page, 'corrections', `${HOSTILE.feed}/1/7/2`, 3)).toBe(`${HOSTILE.feed}/1/7`);
    expect(await cell(page, 'corrections', `${HOSTILE.feed}/1/7/2`, 2)).toBe('annulation');
    // The sources panel: a file feed and an HTTP source side by side, with pace, lines and rejected rows.
    expect(await cell(page, 'sources', 'pos-lyon', 2)).toBe('HTTP (poussée)');
    expect(await cell(page, 'sources', 'pos-lyon', 3)).toBe('12,5');
    expect(await cell(page, 'sources', 'pos-lyon', 5)).toBe('3');
    expect(await cell(page, 'sources', HOSTILE.feed, 1)).toBe(`⏸ ${HOSTILE.feed}`);
    expect(await cell(page, 'sources', HOSTILE.feed, 2)).toBe('fichier ou URL');
    expect(await cell(page, 'sources', HOSTILE.feed, 4)).toBe('1\u202f204\u202f331');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('main img, main svg, main a, main b, main iframe').count()).toBe(0);
    expect(await page.locator('[data-testid="workers"] tbody tr').count()).toBe(3);
    expect(await page.locator('[data-testid="lag"] tbody tr').count()).toBe(3);
    expect(await page.locator('#chart-minute canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="banner"]').isHidden()).toBe(true);
    expect(await text(page, '[data-testid="live"]')).toBe('en direct');
    expect(problems).toEqual([]);
    fs.mkdirSync(path.resolve('.stack'), { recursive: true });
    await page.screenshot({ path: path.resolve('.stack', 'dashboard-fake.png'), fullPage: true });
    await page.close();
  });

  it('updates from the event stream without a reload, says what is down and recovers', async () => {
    const { page, problems } = await open();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    hub.emit({ type: 'sales', data: fakeSales('5300.00') });
    await expect
      .poll(() => text(page, '[data-testid="kpi-revenue"]'), { timeout: 2000 })
      .toBe(formatMoney('5300.00'));
    hub.emit({ type: 'pipeline', data: fakePipeline(false) });
    await expect.poll(() => page.locator('[data-testid="banner"]').isVisible()).toBe(true);
    expect(await text(page, '[data-testid="banner"] li')).toBe('consumer is not running');
    expect(await text(page, '[data-testid="live"]')).toBe('dégradé');
    hub.emit({ type: 'pipeline', data: fakePipeline(true) });
    await expect.poll(() => page.locator('[data-testid="banner"]').isHidden()).toBe(true);
    expect(navigations).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sorts a table by a clicked column, and speaks English on demand', async () => {
    const { page } = await open('?lang=en');
    expect(await text(page, '[data-testid="kpi-revenue"]')).toBe('€5,300.00');
    const keys = () =>
      page
        .locator('[data-testid="by-product"] tbody tr')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.key));
    expect(await keys()).toEqual(['REF004', 'REF001', 'REF666']);
    await page.locator('[data-testid="by-product"] th', { hasText: 'units' }).click();
    expect(await keys()).toEqual(['REF666', 'REF001', 'REF004']);
    await page.locator('[data-testid="by-product"] th', { hasText: 'units' }).click();
    expect(await keys()).toEqual(['REF004', 'REF001', 'REF666']);
    await page.locator('[data-testid="lang"]').click();
    expect(await text(page, '[data-testid="kpi-revenue"]')).toBe('5\u202f300,00 €');
    await page.close();
  });

  it('serves the page with a CSP and never the server code', async () => {
    const page = await fetch(server.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(new URL('/js/shared/format.js', server.url))).status).toBe(200);
    // The page's money module is the platform's own, which imports nothing a browser could not resolve.
    const money = await fetch(new URL('/js/shared/money.js', server.url));
    expect(money.status).toBe(200);
    expect(await money.text()).toMatch(/export function toCents[^]*export function fromCents/);
    for (const file of ['/js/server/hub.js', '/js/serve.js', '/js/../package.json', '/dist/serve.js'])
      expect((await fetch(new URL(file, server.url))).status, file).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    expect(await statusWithHost(server.url, 'evil.example')).toBe(421);
    expect(await statusWithHost(server.url, `localhost:${server.port}`)).toBe(200);
  });
});
