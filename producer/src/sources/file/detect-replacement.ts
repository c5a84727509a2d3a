import type { FileIdentity } from './followed-file.ts';

/** How the file at a followed path was replaced under the file open. */
export type Replacement = 'rotation' | 'truncation' | 'rewrite';

/** How many of the last bytes read are compared to tell a file rewritten in place. */
export const TAIL_BYTES = 256;

/** The last {@link TAIL_BYTES} of `previous` followed by `chunk`. */
export function lastBytes(previous: Buffer, chunk: Buffer): Buffer {
  const joined = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([previous, chunk]);
  return Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
}

/**
 * What stat tells at the end of the open file: the path names another file (rename rotation), or the
 * file is shorter than what was read of it (truncation). Undefined: the same file, at least as long; a
 * rewrite in place at the same size is then told by its tail ({@link rewrittenInPlace}).
 */
export function replacementByStat(
  open: FileIdentity,
  current: FileIdentity,
  readOffset: number,
): 'rotation' | 'truncation' | undefined {
  if (current.ino !== open.ino || current.dev !== open.dev) return 'rotation';
  if (current.size < readOffset) return 'truncation';
  return undefined;
}

/**
 * Whether the file no longer holds, just before the read offset, the bytes read there (`recentTail`);
 * `onDisk` is what it holds there now. Nothing remembered: nothing to tell.
 */
export function rewrittenInPlace(recentTail: Buffer, onDisk: Buffer): boolean {
  return recentTail.length > 0 && !onDisk.equals(recentTail);
}
