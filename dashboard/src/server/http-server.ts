import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import type { DashboardEvent } from '../shared/types.ts';
import type { DashboardAccess } from './access.ts';
import type { DashboardHub } from './hub.ts';
import { LOGIN_CONTENT_SECURITY_POLICY, loginPage } from './login-page.ts';

/** The package's root: this file is in src/server (tests) or dist/server (the command). */
const PACKAGE_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * No inline script, no inline style sheet, nothing from another origin: scripts, styles and the event
 * stream come from this server only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

function asset(file: string): Asset {
  const body = fs.readFileSync(file);
  return {
    body,
    gzip: zlib.gzipSync(body, { level: 9 }),
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/**
 * The files the page is made of, read once: the HTML and CSS (public/), the page's ES modules and the
 * pure modules it shares with the server (compiled to dist/page and dist/shared; never dist/server),
 * the platform's money module, and uPlot from its installed npm package.
 */
export function loadAssets(root = PACKAGE_ROOT): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  assets.set('/', asset(path.join(root, 'public', 'index.html')));
  assets.set('/style.css', asset(path.join(root, 'public', 'style.css')));
  for (const dir of ['page', 'shared']) {
    const full = path.join(root, 'dist', dir);
    if (!fs.existsSync(full))
      throw new Error(`${full} is missing: build the dashboard first (npm run build)`);
    for (const name of fs.readdirSync(full))
      if (name.endsWith('.js') && !name.endsWith('.test.js'))
        assets.set(`/js/${dir}/${name}`, asset(path.join(full, name)));
  }
  const require = createRequire(import.meta.url);
  // The page's money module is the platform's own (it imports nothing): see shared/money.ts.
  assets.set('/js/shared/money.js', asset(require.resolve('@sales-pipeline/platform/money')));
  assets.set('/vendor/uPlot.esm.js', asset(require.resolve('uplot/dist/uPlot.esm.js')));
  assets.set('/vendor/uPlot.min.css', asset(require.resolve('uplot/dist/uPlot.min.css')));
  return assets;
}

/** What the server needs of the hub (a test serves a page from a fake one). */
export type HubView = Pick<
  DashboardHub,
  | 'current'
  | 'subscribe'
  | 'refreshPipeline'
  | 'sales'
  | 'milestones'
  | 'deadLetters'
  | 'pipeline'
  | 'sources'
>;

export interface DashboardServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What `report explain` takes (analytics/src/explain.ts). */
const EXPLAIN_DIMENSIONS = ['total', 'product', 'region', 'city', 'store', 'day'];

const isLoopback = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

/**
 * The dashboard over Node's own http server: the page, `GET /events` (server-sent events: every
 * section on connect, then each change), and `GET /api/{sales,milestones,dead-letters,pipeline,sources}`
 * (the same sections as JSON). Only GET and HEAD; on a loopback address, only requests addressed to a
 * loopback name (a DNS-rebinding page cannot read it).
 */
export function startHttpServer(
  hub: HubView,
  options: {
    host: string;
    port: number;
    assets?: Map<string, Asset>;
    maxClients?: number;
    /** `GET /api/explain?dimension=&key=&after=`: the sales behind one figure (absent: 404). */
    explain?: ((dimension: string, key: string, after: string | undefined) => Promise<unknown>) | undefined;
    /** Who may read it (a login page, a bearer token); absent: anyone who reaches it (loopback only). */
    access?: DashboardAccess | undefined;
    /** Served over TLS with this certificate (chain) and key, PEM. */
    tls?: { cert: string; key: string } | undefined;
  },
): Promise<DashboardServer> {
  const assets = options.assets ?? loadAssets();
  const maxClients = options.maxClients ?? 50;
  const streams = new Set<http.ServerResponse>();

  const sendEvent = (response: http.ServerResponse, event: DashboardEvent) => {
    // Slow page: more than 4 MB not yet sent. It reconnects and gets the current state.
    if (response.writableLength > 4 * 1024 * 1024) {
      response.destroy();
      return;
    }
    response.write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  };

  const { access } = options;
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const hostname = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (isLoopback(options.host) && !isLoopback(hostname)) {
      response.writeHead(421, SECURITY_HEADERS).end();
      return;
    }
    if (access && !authorized(access, request, response, url)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/events') {
      if (streams.size >= maxClients) {
        response.writeHead(503, { ...SECURITY_HEADERS, 'retry-after': '5' }).end();
        return;
      }
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      response.write('retry: 2000\n\n');
      streams.add(response);
      for (const event of hub.current()) sendEvent(response, event);
      const unsubscribe = hub.subscribe((event) => sendEvent(response, event));
      request.on('close', () => {
        unsubscribe();
        streams.delete(response);
      });
      return;
    }
    if (url.pathname === '/api/explain' && options.explain) {
      const explain = options.explain;
      const dimension = url.searchParams.get('dimension') ?? '';
      const key = url.searchParams.get('key') ?? '';
      const json = {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      };
      if (
        !EXPLAIN_DIMENSIONS.includes(dimension) ||
        (dimension !== 'total' && key === '') ||
        key.length > 300
      ) {
        response.writeHead(400, json).end(
          JSON.stringify({
            error: `dimension must be one of ${EXPLAIN_DIMENSIONS.join(', ')}, with a key (but total)`,
          }),
        );
        return;
      }
      explain(dimension, key, url.searchParams.get('after') ?? undefined).then(
        (body) => response.writeHead(200, json).end(JSON.stringify(body)),
        () => response.writeHead(503, json).end(JSON.stringify({ error: 'the database could not be read' })),
      );
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      void (async () => {
        const name = url.pathname.slice(5);
        if (name === 'pipeline' && (!hub.pipeline || Date.now() - Date.parse(hub.pipeline.at) > 5000))
          await hub.refreshPipeline();
        const body = {
          sales: hub.sales,
          milestones: hub.milestones,
          'dead-letters': hub.deadLetters,
          pipeline: hub.pipeline,
          sources: hub.sources,
        }[name];
        if (!['sales', 'milestones', 'dead-letters', 'pipeline', 'sources'].includes(name)) {
          response.writeHead(404, SECURITY_HEADERS).end();
          return;
        }
        response.writeHead(body === undefined ? 503 : 200, {
          ...SECURITY_HEADERS,
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        });
        response.end(JSON.stringify(body ?? { error: 'not read yet', sources: hub.sources }));
      })().catch(() => response.destroy());
      return;
    }
    const file = assets.get(url.pathname === '/index.html' ? '/' : url.pathname);
    if (!file) {
      response.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    const headers: http.OutgoingHttpHeaders = {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      etag: file.etag,
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
    };
    if (request.headers['if-none-match'] === file.etag) {
      response.writeHead(304, headers).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip : file.body;
    response.writeHead(200, {
      ...headers,
      'content-length': body.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : http.createServer(handler);

  // Comments keep the streams open through proxies and tell a dead page from a quiet one.
  const keepAlive = setInterval(() => {
    for (const response of streams) response.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        port,
        url: `${options.tls ? 'https' : 'http'}://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(keepAlive);
            for (const response of streams) response.end();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The login flow in front of everything else: `GET /login` (the form), `POST /login` (a session cookie and
 * back to the page; 401 with the form again; 429 after too many failures), `POST /logout`. Any other request
 * needs a session or the bearer token: the page is sent to the form, the API and the stream get 401.
 * Returns true when the request may go on.
 */
function authorized(
  access: DashboardAccess,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
): boolean {
  const page = (status: number, message?: string, extra: http.OutgoingHttpHeaders = {}) =>
    response
      .writeHead(status, {
        ...SECURITY_HEADERS,
        'content-security-policy': LOGIN_CONTENT_SECURITY_POLICY,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...extra,
      })
      .end(loginPage(message));
  if (url.pathname === '/login' && access.hasLogin) {
    if (request.method === 'GET' || request.method === 'HEAD') {
      page(200);
      return false;
    }
    if (request.method !== 'POST') {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, POST' }).end();
      return false;
    }
    readForm(request, 8 * 1024).then(
      async (form) => {
        const outcome = await access.login(
          request.socket.remoteAddress ?? 'unknown',
          form.get('user') ?? '',
          form.get('password') ?? '',
        );
        if (outcome.ok)
          response.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': outcome.cookie }).end();
        else if (outcome.status === 429)
          page(429, `Too many failed logins: try again in ${outcome.retryAfterS} s.`, {
            'retry-after': String(outcome.retryAfterS),
          });
        else page(401, 'Wrong user or password.');
      },
      () => response.writeHead(413, SECURITY_HEADERS).end(),
    );
    return false;
  }
  if (url.pathname === '/logout' && request.method === 'POST') {
    response
      .writeHead(303, { ...SECURITY_HEADERS, location: '/login', 'set-cookie': access.logout(request) })
      .end();
    return false;
  }
  // The login page's style sheet (nothing of the data).
  if (access.allows(request) || url.pathname === '/style.css') return true;
  if (access.hasLogin && (url.pathname === '/' || url.pathname === '/index.html'))
    response.writeHead(303, { ...SECURITY_HEADERS, location: '/login', 'cache-control': 'no-store' }).end();
  else
    response
      .writeHead(401, {
        ...SECURITY_HEADERS,
        'www-authenticate': 'Bearer realm="sales-pipeline dashboard"',
        'content-type': 'text/plain; charset=utf-8',
      })
      .end('log in first (/login), or send Authorization: Bearer <DASHBOARD_TOKEN>\n');
  return false;
}

/** A small urlencoded form body (rejects above `maxBytes`). */
function readForm(request: http.IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error('form too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });
}
