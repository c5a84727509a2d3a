import http from 'node:http';

export interface PacedResult {
  /** Requests sent (on schedule). */
  sent: number;
  ok: number;
  notOk: number;
  errors: number;
  /** Request → full answer, of the 2xx answers, in ms. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests sent later than their slot by more than 5 ms (the load tool itself behind). */
  late: number;
}

/**
 * An open-loop load at a steady rate: request n leaves at start + n / rate, whether or not the earlier ones
 * were answered (as tills do: each sends when its sale happens), and its latency counts from that slot, so
 * a slow answer cannot hide the requests it delays (no coordinated omission). autocannon's rate limit sends
 * each connection's share of a second back to back at the start of the second: bursts of `connections`
 * requests, not a rate.
 */
export async function pacedLoad(options: {
  url: string;
  headers: Record<string, string>;
  body: (n: number) => string;
  rate: number;
  seconds: number;
}): Promise<PacedResult> {
  const { url, headers, body, rate, seconds } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(url);
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let notOk = 0;
  let errors = 0;
  let late = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (n: number, slot: number) => {
    const payload = body(n);
    const done = new Promise<void>((resolve) => {
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(payload) },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) latencies.push(performance.now() - slot);
            else notOk++;
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(payload);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const start = performance.now() + 50;
  for (let n = 0; n < total; n++) {
    const slot = start + (n * 1000) / rate;
    const wait = slot - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (performance.now() - slot > 5) late++;
    send(n, slot);
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    sent: total,
    ok: latencies.length,
    notOk,
    errors,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: latencies.at(-1) ?? NaN,
    late,
  };
}
