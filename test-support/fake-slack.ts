import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message as the fake Slack stored it. */
export interface PostedMessage {
  ts: string;
  channel: string;
  text: string;
  blocks: unknown;
  mrkdwn: string | undefined;
  metadata: { event_type: string; event_payload: Record<string, unknown> } | undefined;
}

type Scripted = { status: number; retryAfter?: number } | { error: string };

/**
 * A local HTTP server that speaks the Slack Web API as @slack/web-api uses it: form-encoded POSTs to
 * /api/<method> with a Bearer token, `{ ok, … }` answers, 429 with Retry-After, 5xx, and Slack's errors.
 * Supports chat.postMessage and conversations.history (with message metadata).
 */
export class FakeSlack {
  readonly posted: PostedMessage[] = [];
  readonly requests: Array<{ method: string; at: number; authorization: string | undefined }> = [];
  private script: Scripted[] = [];
  private hold: { mode: 'store' | 'drop'; arrived: () => void } | undefined;
  private server: http.Server | undefined;
  private seq = 0;
  token = 'xoxb-test-token';
  channel = 'C0MILESTONES';

  /** Answers the next requests with these, in order, before going back to normal. */
  queue(...answers: Scripted[]): void {
    this.script.push(...answers);
  }

  /**
   * The next chat.postMessage gets no answer, ever — as when the poster dies mid-call: with `store` the
   * message is in the channel (the poster died before reading the answer), with `drop` it is not (it died
   * before Slack took it). Resolves when that request has arrived.
   */
  holdNextPost(mode: 'store' | 'drop'): Promise<void> {
    return new Promise((resolve) => {
      this.hold = { mode, arrived: resolve };
    });
  }

  /** The chat.postMessage requests received (answered or not). */
  postRequests(): number {
    return this.requests.filter((r) => r.method === 'chat.postMessage').length;
  }

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => this.handle(request, body, response));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/api/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private reply(
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  }

  private handle(request: http.IncomingMessage, raw: string, response: http.ServerResponse): void {
    const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    this.requests.push({ method, at: Date.now(), authorization: request.headers.authorization });
    const form = new URLSearchParams(raw);
    const scripted = this.script.shift();
    if (scripted && 'status' in scripted) {
      const headers: Record<string, string> = scripted.retryAfter
        ? { 'retry-after': String(scripted.retryAfter) }
        : {};
      this.reply(
        response,
        scripted.status,
        { ok: false, error: scripted.status === 429 ? 'ratelimited' : 'internal_error' },
        headers,
      );
      return;
    }
    if (scripted && 'error' in scripted) {
      this.reply(response, 200, { ok: false, error: scripted.error });
      return;
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      this.reply(response, 200, { ok: false, error: 'invalid_auth' });
      return;
    }
    const channel = form.get('channel') ?? '';
    if (method === 'chat.postMessage') {
      if (channel !== this.channel)
        return this.reply(response, 200, { ok: false, error: 'channel_not_found' });
      const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
      const metadata = form.get('metadata');
      const hold = this.hold;
      this.hold = undefined;
      if (hold?.mode === 'drop') return hold.arrived();
      this.posted.push({
        ts,
        channel,
        text: form.get('text') ?? '',
        blocks: JSON.parse(form.get('blocks') ?? 'null'),
        mrkdwn: form.get('mrkdwn') ?? undefined,
        metadata: metadata ? JSON.parse(metadata) : undefined,
      });
      if (hold) return hold.arrived();
      this.reply(response, 200, { ok: true, channel, ts, message: { text: form.get('text') } });
      return;
    }
    if (method === 'conversations.history') {
      const withMetadata = form.get('include_all_metadata') === 'true';
      const messages = [...this.posted].reverse().map((m) => ({
        type: 'message',
        ts: m.ts,
        text: m.text,
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
      }));
      this.reply(response, 200, { ok: true, messages, has_more: false });
      return;
    }
    this.reply(response, 200, { ok: false, error: 'unknown_method' });
  }
}
