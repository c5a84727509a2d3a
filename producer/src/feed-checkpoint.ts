import { z } from 'zod';
import type { FeedCursor } from './feed-cursor.ts';

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

const checkpointSchema = z.object({
  v: z.literal(1),
  g: z.number().int().min(0),
  o: z.number().int().min(0),
  l: z.number().int().min(0),
  open: z.boolean(),
  sha: z.string().regex(/^[0-9a-f]{64}$/),
  rw: z.string().nullable(),
});

/**
 * The checkpoint from a group's offset-commit metadata; undefined when there is none. Metadata that is
 * not a checkpoint of this producer is an error that says so, never a guess: resuming from a wrong
 * position would lose or repeat rows.
 */
export function decodeCheckpoint(metadata: string | null | undefined): FeedCheckpoint | undefined {
  if (!metadata) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(metadata);
  } catch (error) {
    throw new Error(
      `the feed's checkpoint is not JSON (${(error as Error).message}): ${metadata.slice(0, 200)}`,
      { cause: error },
    );
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`the feed's checkpoint is not one this producer wrote (${problems.join('; ')})`);
  }
  const raw = parsed.data;
  return {
    cursor: { generation: raw.g, offset: raw.o, line: raw.l, openLine: raw.open },
    prefixSha256: raw.sha,
    reportedRewrite: raw.rw ?? undefined,
  };
}
