import type { FeedLocation } from '../feed/feed-identity.ts';
import { fileSource } from './file/file-follower.ts';
import type { FeedSource } from './source.ts';
import { urlSource } from './url/url-poller.ts';

export { type Source, type SourceType, type FeedSource } from './source.ts';
export { fileSource } from './file/file-follower.ts';
export { urlSource } from './url/url-poller.ts';
export { HttpSource, type HttpSourceOptions } from './http/http-source.ts';

/** The source of a feed given on the command line: a file path or an http(s) URL. */
export function feedSource(location: FeedLocation): FeedSource {
  return location.type === 'file' ? fileSource(location.path) : urlSource(location.url);
}
