import type { FeedCursor } from './feed-parser.ts';

/**
 * Where a feed was published up to, committed in the same Kafka transaction as the messages it covers,
 * so that after a crash the topic and the checkpoint always agree.
 */
export interface FeedCheckpoint {
  cursor: FeedCursor;
  /** sha256 of the feed's bytes [0, cursor.offset) of the current generation: tells a rewritten source. */
  prefixSha256: string;
  /** sha256 of the last rewritten snapshot already reported, so a restart does not report it again. */
  reportedRewrite?: string | undefined;
}

/** The checkpoint as the offset-commit metadata string (kept well under the broker's 4096-byte limit). */
export function encodeCheckpoint(checkpoint: FeedCheckpoint): string {
  const { cursor } = checkpoint;
  return JSON.stringify({
    v: 1,
    g: cursor.generation,
    o: cursor.offset,
    l: cursor.line,
    open: cursor.openLine,
    sha: checkpoint.prefixSha256,
    rw: checkpoint.reportedRewrite ?? null,
  });
}

export function decodeCheckpoint(metadata: string | null | undefined): FeedCheckpoint | undefined {
  if (!metadata) return undefined;
  const raw = JSON.parse(metadata) as {
    v: number;
    g: number;
    o: number;
    l: number;
    open: boolean;
    sha: string;
    rw: string | null;
  };
  if (raw.v !== 1) throw new Error(`unknown checkpoint version ${raw.v}`);
  return {
    cursor: { generation: raw.g, offset: raw.o, line: raw.l, openLine: raw.open },
    prefixSha256: raw.sha,
    reportedRewrite: raw.rw ?? undefined,
  };
}
