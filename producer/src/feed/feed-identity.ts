import path from 'node:path';

/** A feed source: a local file or an http(s) URL. */
export type FeedLocation = { type: 'file'; path: string } | { type: 'url'; url: string };

export function parseLocation(value: string): FeedLocation {
  return /^https?:\/\//i.test(value)
    ? { type: 'url', url: value }
    : { type: 'file', path: path.resolve(value) };
}

/**
 * The feed's identity, part of every sale id: the file name without its extension (`ventes.csv` →
 * `ventes`), or the URL's last path segment. Keep it stable: a new identity is a new feed.
 */
export function defaultFeedId(location: FeedLocation): string {
  const name =
    location.type === 'file'
      ? path.basename(location.path)
      : (new URL(location.url).pathname.split('/').filter(Boolean).pop() ?? new URL(location.url).hostname);
  const id = name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
  return id || 'feed';
}
