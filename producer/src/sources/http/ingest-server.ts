import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@sales-pipeline/platform';
import type { IdPatterns } from '../../parse/id-patterns.ts';
import type { SaleRules } from '../../parse/sale-rules.ts';
import { IngestUnavailable, type IngestBatcher } from './ingest-batcher.ts';
import { BadIngestRequest, checkSource, parseCsvBatch, parseJsonBatch } from './ingest-request.ts';
import type { IngestTokens } from './ingest-tokens.ts';
import { OPENAPI } from './openapi.ts';

export interface IngestServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  maxInflight: number;
  /** Request bodies in flight at most (bytes): more is answered 429; one request is always taken alone. */
  maxInflightBytes: number;
  /** Serve HTTPS with this certificate (chain) and key, PEM. */
  tls?: { cert: string; key: string } | undefined;
  ids: IdPatterns;
  rules: SaleRules;
}

/** What the server counts, for /metrics and `status`. */
export interface IngestCounters {
  request(status: number): void;
  sales(accepted: number, duplicates: number, rejected: number): void;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * The ingest server: POST /v1/sales (a batch of sales, JSON or CSV, answered 200 only once committed in
 * Kafka), GET /v1/openapi.json, GET /healthz (200 while Kafka is reachable). Every refusal is a JSON
 * `{"error": …}` naming the problem; the token is never logged.
 */
export class IngestServer {
  private server: http.Server | undefined;
  private inflight = 0;
  private inflightBytes = 0;

  constructor(
    private readonly options: IngestServerOptions,
    private readonly tokens: IngestTokens,
    private readonly batcher: IngestBatcher,
    private readonly kafkaReachable: () => Promise<boolean>,
    private readonly counters: IngestCounters,
    private readonly logger: Logger,
  ) {}

  async listen(): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    const { tls } = this.options;
    this.server = tls
      ? https.createServer({ cert: tls.cert, key: tls.key }, handler)
      : http.createServer(handler);
    this.server.requestTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.port, this.options.host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ingest');
    try {
      if (req.method === 'GET' && url.pathname === '/v1/openapi.json') return this.send(res, 200, OPENAPI);
      if (req.method === 'GET' && url.pathname === '/healthz') {
        const ok = await this.kafkaReachable();
        return this.send(res, ok ? 200 : 503, ok ? { ok } : { ok, error: 'Kafka is not reachable' });
      }
      if (url.pathname !== '/v1/sales')
        throw new HttpProblem(404, `no such endpoint: ${req.method} ${url.pathname}`);
      if (req.method !== 'POST') throw new HttpProblem(405, 'POST sales to /v1/sales');
      return await this.postSales(req, res, url);
    } catch (error) {
      if (!(error instanceof HttpProblem)) {
        this.logger.error({ err: error }, 'ingest request failed');
        return this.send(res, 500, { error: 'internal error' });
      }
      if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(error.retryAfter));
      if (error.status === 413) res.setHeader('Connection', 'close');
      return this.send(res, error.status, { error: error.message });
    }
  }

  private async postSales(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const allowed = this.tokens.sourcesOf(req.headers.authorization);
    if (allowed !== 'any' && allowed.size === 0)
      throw new HttpProblem(401, 'missing or wrong bearer token (Authorization: Bearer <token>)');
    if (this.inflight >= this.options.maxInflight)
      throw new HttpProblem(
        429,
        `more than INGEST_MAX_INFLIGHT (${this.options.maxInflight}) requests in flight`,
        1,
      );
    // A body's bytes are held until its answer (parsed, they take several times as much heap): its
    // declared length, or the largest body allowed when it declares none.
    const declared = Number(req.headers['content-length'] ?? NaN);
    const reserved = Math.min(
      Number.isFinite(declared) ? declared : this.options.maxBodyBytes,
      this.options.maxBodyBytes,
    );
    if (this.inflightBytes > 0 && this.inflightBytes + reserved > this.options.maxInflightBytes)
      throw new HttpProblem(
        429,
        `more than INGEST_MAX_INFLIGHT_BYTES (${this.options.maxInflightBytes}) of request bodies in flight`,
        1,
      );
    this.inflight++;
    this.inflightBytes += reserved;
    try {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json' && type !== 'text/csv')
        throw new HttpProblem(
          415,
          `content type must be application/json or text/csv, not ${JSON.stringify(type ?? '')}`,
        );
      const receivedAt = Date.now();
      const body = await this.readBody(req);
      let batch;
      try {
        batch =
          type === 'application/json'
            ? parseJsonBatch(body.toString('utf8'), this.options.ids, this.options.rules)
            : parseCsvBatch(
                checkSource(url.searchParams.get('source') ?? undefined),
                body,
                this.options.ids,
                this.options.rules,
              );
      } catch (error) {
        if (error instanceof BadIngestRequest) throw new HttpProblem(400, error.message);
        throw error;
      }
      if (allowed !== 'any' && !allowed.has(batch.source))
        throw new HttpProblem(403, `this token is not valid for source ${JSON.stringify(batch.source)}`);
      let result;
      try {
        result = await this.batcher.submit(batch, receivedAt);
      } catch (error) {
        if (error instanceof IngestUnavailable) throw new HttpProblem(503, error.message, 1);
        throw error;
      }
      this.counters.sales(result.accepted, result.duplicates, result.rejected.length);
      return this.send(res, 200, result);
    } finally {
      this.inflight--;
      this.inflightBytes -= reserved;
    }
  }

  /** The body, at most INGEST_MAX_BODY_BYTES (413 beyond, without reading the rest). */
  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    const max = this.options.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > max)
      return Promise.reject(new HttpProblem(413, `body over INGEST_MAX_BODY_BYTES (${max} bytes)`));
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          req.pause();
          reject(new HttpProblem(413, `body over INGEST_MAX_BODY_BYTES (${max} bytes)`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    this.counters.request(status);
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
