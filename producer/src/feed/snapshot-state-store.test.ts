import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type FeedCheckpoint } from './feed-checkpoint.ts';
import { encodeState, STATE_CHUNK_LINES, stateMessages } from './snapshot-state-store.ts';

describe('snapshot state', () => {
  const lines = Array.from({ length: STATE_CHUNK_LINES + 5 }, (_, i) =>
    i === 0
      ? { h: 'h', id: null }
      : i === 7
        ? { h: `r${i}`, id: `ventes/id/${i}`, c: 1 as const }
        : { h: `r${i}`, id: `ventes/0/${i + 1}` },
  );

  it('is cut into chunks under the message limit, the same lines always giving the same sha256', () => {
    const state = encodeState('ventes', lines);
    expect(state.chunks).toHaveLength(2);
    for (const chunk of state.chunks) expect(Buffer.byteLength(chunk)).toBeLessThan(1024 * 1024);
    expect(encodeState('ventes', lines).sha).toBe(state.sha);
    expect(encodeState('ventes', lines.slice(1)).sha).not.toBe(state.sha);
    const back = state.chunks.flatMap((c) => (JSON.parse(c) as { lines: unknown[] }).lines);
    expect(back[7]).toEqual(['r7', 'ventes/id/7', 1]);
  });

  it('cuts long lines (long feed and sale ids) by bytes too, never a chunk over the message limit', () => {
    const long = Array.from({ length: 9_000 }, (_, i) => ({
      h: `r${i}`,
      id: `${'f'.repeat(64)}/id/${'x'.repeat(60)}${i}`,
    }));
    const state = encodeState('f'.repeat(64), long);
    expect(state.chunks.length).toBeGreaterThan(1);
    for (const chunk of state.chunks) expect(Buffer.byteLength(chunk)).toBeLessThan(600 * 1024);
  });

  it('drops the previous state with tombstones in the same transaction', () => {
    const previous = encodeState('ventes', lines.slice(0, 3));
    const next = encodeState('ventes', lines);
    const messages = stateMessages('ventes', next, { sha: previous.sha, offset: '12', chunks: 1 });
    expect(messages.map((m) => [m.key, m.value === null])).toEqual([
      [`ventes/${next.sha.slice(0, 16)}/0`, false],
      [`ventes/${next.sha.slice(0, 16)}/1`, false],
      [`ventes/${previous.sha.slice(0, 16)}/0`, true],
    ]);
  });

  it('a checkpoint with versions survives its encoding; one of an older producer still reads', () => {
    const checkpoint: FeedCheckpoint = {
      cursor: { generation: 1, offset: 1234, line: 1, openLine: false },
      prefixSha256: 'a'.repeat(64),
      reportedRewrite: undefined,
      rev: undefined,
      snapshot: {
        version: 4,
        versionSha: 'b'.repeat(64),
        state: { sha: 'c'.repeat(64), offset: '42', chunks: 1 },
        rev: 97,
        holds: 1,
        held: { seq: 1, sha: 'd'.repeat(64) },
      },
    };
    const encoded = encodeCheckpoint(checkpoint);
    expect(encoded.length).toBeLessThan(4096);
    expect(decodeCheckpoint(encoded)).toEqual(checkpoint);
    const old = JSON.stringify({ v: 1, g: 0, o: 10, l: 3, open: false, sha: 'e'.repeat(64), rw: null });
    expect(decodeCheckpoint(old)).toMatchObject({ cursor: { offset: 10 }, snapshot: undefined });
  });
});
