import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleUnreportedRates } from './sampled-rates.ts';

let server: http.Server;
let port: number;
let total = 0;

beforeAll(async () => {
  // A worker's /metrics whose counter of applied sales grows by 10 at every scrape.
  server = http.createServer((_request, response) => {
    total += 10;
    response.end(
      `consumer_rows_applied_total{kind="sale"} ${total}\nconsumer_rows_applied_total{kind="reference"} 5\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('sampleUnreportedRates', () => {
  const record = { name: 'consumer' as const, pid: process.pid, logFile: '', startedAt: '', restarts: 0 };

  it('samples the counter of a worker whose /healthz has no rate, twice, sampleMs apart', async () => {
    const health = new Map([
      ['consumer' as const, { alive: true, answer: { status: 200, text: '{"ok":true}' }, rate: undefined }],
    ]);
    const rates = await sampleUnreportedRates([{ ...record, metricsPort: port }], health, 100);
    const rate = rates.get('consumer') ?? 0;
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(110); // 10 per scrape, about 100 ms apart
  });

  it('samples nothing when every worker reports its own rate', async () => {
    const health = new Map([
      ['consumer' as const, { alive: true, answer: { status: 200, text: '{"ratePerSecond":3}' }, rate: 3 }],
    ]);
    const scrapes = total;
    expect(await sampleUnreportedRates([{ ...record, metricsPort: port }], health, 100)).toEqual(new Map());
    expect(total).toBe(scrapes);
  });
});
