import { ConfigError } from '@sales-pipeline/platform';
import { EXPECTED_HEADER, type FeedKind } from './header.ts';

/**
 * A feed whose header is not one of its kind: none of its lines can ever become a row. A configuration
 * error (exit code 2, so a supervisor does not restart the producer into the same wall): the feed points
 * at the wrong file, or the file's export changed.
 */
export class FeedHeaderError extends ConfigError {
  override readonly hint: string;

  constructor(
    feed: { id: string; location: string; kind: FeedKind },
    header: { found: string; reason: string },
    deadLettered: number,
  ) {
    const message =
      `feed ${feed.id} (${feed.location}) has a wrong header: found ${JSON.stringify(header.found)}, ` +
      `expected a ${feed.kind} header such as ${JSON.stringify(EXPECTED_HEADER[feed.kind])} (${header.reason}); ` +
      `${deadLettered} line(s) dead-lettered this run, none of its lines can become a row`;
    super([message]);
    this.message = message;
    this.hint =
      'Fix the header of the file (or point the producer at the right file) and start it again: a corrected file is read as a new generation of the feed.';
  }
}
