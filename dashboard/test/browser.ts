import http from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Headless Chromium for the page's tests and measurements, and how they read the page. */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium as installed (CHROMIUM_PATH, else /usr/bin/chromium), headless, quiet on the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** The text of the first element `selector` matches. */
export const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

/** The text of a table's cell, in the row whose data-key is `key` (any characters). */
export const cell = (page: Page, table: string, key: string, column: number) =>
  page
    .locator(`[data-testid="${table}"] tbody tr`)
    .evaluateAll(
      (rows, [k, c]) =>
        rows.find((r) => (r as HTMLElement).dataset.key === k)?.querySelector(`td:nth-child(${c})`)
          ?.textContent ?? null,
      [key, column] as const,
    );

/** A GET with a Host header of our choosing (fetch does not let one set it). */
export function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}
