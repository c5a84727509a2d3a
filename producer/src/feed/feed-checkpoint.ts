import { z } from 'zod';
import type { FeedCursor } from './feed-cursor.ts';

/** Where the published state of a snapshot feed (its lines and their sale ids) is kept in Kafka. */
export interface StateRef {
  /** sha256 of the state's encoding: the chunks carry it, so that a stale chunk is never taken. */
  sha: string;
  /** Offset of the state's first chunk in the feed-state topic (partition 0). */
  offset: string;
  chunks: number;
}

/**
 * A snapshot feed's versions: how many were applied, the last one's sha256, where its published lines
 * are, the last `rev` given to a sale change, and the version held back, if one is.
 */
export interface SnapshotProgress {
  /** Versions applied (the next one is `version + 1`). */
  version: number;
  /** sha256 of the last version's bytes: the same bytes served again are no new version. */
  versionSha: string | null;
  state: StateRef | null;
  /** The last `rev` given to a change of this feed's sales (strictly increasing). */
  rev: number;
  /** Holds reported so far (the next held version gets `holds + 1`). */
  holds: number;
  /** The version held back: its hold number and sha256. */
  held: { seq: number; sha: string } | null;
}

export const NO_SNAPSHOT: SnapshotProgress = {
  version: 0,
  versionSha: null,
  state: null,
  rev: 0,
  holds: 0,
  held: null,
};

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
  /** Set once the feed is read as versions (a URL, `--snapshot`, or a re-exported file). */
  snapshot?: SnapshotProgress | undefined;
  /** The last `rev` given to a sale of an id-column feed read by tailing. */
  rev?: number | undefined;
  /**
   * Hashes of the first and last sale lines published of the current generation (a tailed sales
   * file): a file found in its place that holds one of them is a re-export, never new data.
   */
  fingerprint?: string[] | undefined;
  /** A re-export that could not be compared with what was published, held: its number and sha256. */
  reexportHold?: { seq: number; sha: string } | undefined;
}

/** The checkpoint as the offset-commit metadata string (kept well under the broker's 4096-byte limit). */
export function encodeCheckpoint(checkpoint: FeedCheckpoint): string {
  const { cursor, snapshot } = checkpoint;
  return JSON.stringify({
    v: snapshot || checkpoint.rev || checkpoint.fingerprint?.length || checkpoint.reexportHold ? 2 : 1,
    g: cursor.generation,
    o: cursor.offset,
    l: cursor.line,
    open: cursor.openLine,
    sha: checkpoint.prefixSha256,
    rw: checkpoint.reportedRewrite ?? null,
    ...(checkpoint.rev ? { n: checkpoint.rev } : {}),
    ...(checkpoint.fingerprint?.length ? { fp: checkpoint.fingerprint } : {}),
    ...(checkpoint.reexportHold ? { rh: checkpoint.reexportHold } : {}),
    ...(snapshot
      ? {
          s: {
            v: snapshot.version,
            vs: snapshot.versionSha,
            st: snapshot.state,
            n: snapshot.rev,
            h: snapshot.holds,
            hd: snapshot.held,
          },
        }
      : {}),
  });
}

const sha = z.string().regex(/^[0-9a-f]{64}$/);
const checkpointSchema = z.object({
  v: z.union([z.literal(1), z.literal(2)]),
  g: z.number().int().min(0),
  o: z.number().int().min(0),
  l: z.number().int().min(0),
  open: z.boolean(),
  sha,
  rw: z.string().nullable(),
  n: z.number().int().min(0).optional(),
  fp: z.array(z.string().max(64)).max(2).optional(),
  rh: z.object({ seq: z.number().int().min(1), sha }).optional(),
  s: z
    .object({
      v: z.number().int().min(0),
      vs: sha.nullable(),
      st: z.object({ sha, offset: z.string().regex(/^\d+$/), chunks: z.number().int().min(1) }).nullable(),
      n: z.number().int().min(0),
      h: z.number().int().min(0),
      hd: z.object({ seq: z.number().int().min(1), sha }).nullable(),
    })
    .optional(),
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
    rev: raw.n,
    fingerprint: raw.fp,
    reexportHold: raw.rh,
    snapshot: raw.s && {
      version: raw.s.v,
      versionSha: raw.s.vs,
      state: raw.s.st,
      rev: raw.s.n,
      holds: raw.s.h,
      held: raw.s.hd,
    },
  };
}
