import crypto from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import { z } from 'zod';
import type { StateRef } from './feed-checkpoint.ts';
import type { StateLine } from './plan-version.ts';

/**
 * The published lines of a snapshot feed (each line's hash and sale id) are kept in Kafka, in the
 * compacted feed-state topic (FEED_STATE_TOPIC, one partition), written in the same transaction as the
 * version's messages and its checkpoint: the checkpoint names the state (its sha256, the offset of its
 * first chunk and how many chunks it has), so that after any crash the producer compares the next version
 * with exactly what was published. Each state's chunks have keys of their own (`<feed>/<sha>/<i>`); the
 * previous state's keys get tombstones in the same transaction, so compaction keeps one state per feed.
 */

/** Lines per chunk at most, and bytes per chunk at most: well under the broker's 1 MiB message limit. */
export const STATE_CHUNK_LINES = 10_000;
export const STATE_CHUNK_BYTES = 512 * 1024;

export interface EncodedState {
  sha: string;
  chunks: string[];
}

const chunkSchema = z.object({
  feed: z.string(),
  sha: z.string(),
  i: z.number().int().min(0),
  of: z.number().int().min(1),
  lines: z.array(
    z.union([
      z.tuple([z.string(), z.string().nullable()]),
      z.tuple([z.string(), z.string().nullable(), z.literal(1)]),
    ]),
  ),
});

type EncodedLine = [string, string | null] | [string, string | null, 1];

/** The state as chunk values, with its sha256 (of the lines, not of the chunking). Pure. */
export function encodeState(feed: string, lines: StateLine[]): EncodedState {
  const encoded: EncodedLine[] = lines.map((l) => (l.c ? [l.h, l.id, 1] : [l.h, l.id]));
  const sha = crypto.createHash('sha256').update(JSON.stringify(encoded)).digest('hex');
  // Cut by lines and by bytes (long feed ids and own ids make long lines).
  const groups: EncodedLine[][] = [[]];
  let bytes = 0;
  for (const line of encoded) {
    const size = JSON.stringify(line).length + 1;
    const group = groups.at(-1) as EncodedLine[];
    if (group.length > 0 && (group.length >= STATE_CHUNK_LINES || bytes + size > STATE_CHUNK_BYTES)) {
      groups.push([line]);
      bytes = size;
    } else {
      group.push(line);
      bytes += size;
    }
  }
  const of = groups.length;
  return { sha, chunks: groups.map((lines, i) => JSON.stringify({ feed, sha, i, of, lines })) };
}

const chunkKey = (feed: string, sha: string, i: number) => `${feed}/${sha.slice(0, 16)}/${i}`;

/** The messages that store `state` and drop the previous one (tombstones). */
export function stateMessages(feed: string, state: EncodedState, previous: StateRef | null): Message[] {
  const messages: Message[] = state.chunks.map((value, i) => ({ key: chunkKey(feed, state.sha, i), value }));
  if (previous && previous.sha !== state.sha) {
    for (let i = 0; i < previous.chunks; i++) {
      messages.push({ key: chunkKey(feed, previous.sha, i), value: null });
    }
  }
  return messages;
}

/** The state a checkpoint names could not be read back: the producer stops rather than guess. */
export class SnapshotStateError extends Error {
  constructor(feed: string, problem: string) {
    super(
      `the published state of snapshot feed ${feed} ${problem}: the producer cannot tell what the next version changes. ` +
        'Check that the feed-state topic (FEED_STATE_TOPIC) is the one it wrote to and was not deleted; ' +
        'otherwise publish the feed under a new --feed-id.',
    );
    this.name = 'SnapshotStateError';
  }
}

/**
 * Reads a state back from the feed-state topic: from the offset of its first chunk, committed records
 * only, until every chunk carrying its sha256 is found. A throwaway consumer group (nothing committed).
 */
export async function loadState(
  kafka: Kafka,
  topic: string,
  feed: string,
  ref: StateRef,
  timeoutMs = 60_000,
): Promise<StateLine[]> {
  const consumer = kafka.consumer({
    groupId: `sales-pipeline.producer.${feed}.state-reader.${process.pid}.${Date.now()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 200,
  });
  const found = new Map<number, EncodedLine[]>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const lines = await new Promise<StateLine[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SnapshotStateError(feed, `was not found in ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            if (!message.value) return;
            const key = message.key?.toString() ?? '';
            if (!key.startsWith(`${feed}/${ref.sha.slice(0, 16)}/`)) return;
            const parsed = chunkSchema.safeParse(JSON.parse(message.value.toString()));
            if (!parsed.success || parsed.data.sha !== ref.sha || parsed.data.of !== ref.chunks) return;
            found.set(parsed.data.i, parsed.data.lines);
            if (found.size < ref.chunks) return;
            clearTimeout(timer);
            const all: StateLine[] = [];
            for (let i = 0; i < ref.chunks; i++) {
              for (const [h, id, c] of found.get(i) ?? []) all.push(c ? { h, id, c } : { h, id });
            }
            resolve(all);
          },
        })
        .then(() => consumer.seek({ topic, partition: 0, offset: ref.offset }))
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
    const sha = encodeState(feed, lines).sha;
    if (sha !== ref.sha) throw new SnapshotStateError(feed, `read back does not match its sha256 ${ref.sha}`);
    return lines;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
