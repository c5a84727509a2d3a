/** One poll of a URL feed: the body when it changed since the last poll. */
export type UrlPoll = { changed: false } | { changed: true; body: Buffer };

/**
 * A feed published at a URL, polled with conditional requests: `If-None-Match` with the last ETag and
 * `If-Modified-Since` with the last `Last-Modified`; a 304 costs no body.
 */
export class UrlFetcher {
  private etag: string | undefined;
  private lastModified: string | undefined;

  constructor(
    readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async poll(): Promise<UrlPoll> {
    const headers: Record<string, string> = {};
    if (this.etag) headers['if-none-match'] = this.etag;
    if (this.lastModified) headers['if-modified-since'] = this.lastModified;
    const response = await fetch(this.url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    if (response.status === 304) return { changed: false };
    if (!response.ok) throw new Error(`GET ${this.url} answered ${response.status} ${response.statusText}`);
    const body = Buffer.from(await response.arrayBuffer());
    this.etag = response.headers.get('etag') ?? undefined;
    this.lastModified = response.headers.get('last-modified') ?? undefined;
    return { changed: true, body };
  }
}
