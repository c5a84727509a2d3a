import { describe, expect, it } from 'vitest';
import { LedgerTable, type LedgerSlot } from './ledger-table.ts';

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('LedgerTable', () => {
  it('answers like a Map through 100,000 random sets, updates and deletes, growing and reusing deleted slots', () => {
    const next = random(20261203);
    const table = new LedgerTable(16);
    const reference = new Map<string, LedgerSlot>();
    const mismatches: string[] = [];
    for (let op = 0; op < 100_000; op++) {
      const id = `pos-${Math.floor(next() * 8)}/http/T-${Math.floor(next() * 60_000)}`;
      const roll = next();
      if (roll < 0.1) {
        table.delete(id);
        reference.delete(id);
      } else if (roll < 0.7) {
        const slot = { digest: Math.floor(next() * 2 ** 48), rev: 1 + Math.floor(next() * 5) };
        table.set(id, slot);
        reference.set(id, slot);
      } else {
        const got = table.get(id);
        const want = reference.get(id);
        if (got?.digest !== want?.digest || got?.rev !== want?.rev) mismatches.push(id);
      }
    }
    expect(mismatches).toEqual([]);
    expect(table.size).toBe(reference.size);
    for (const [id, slot] of reference) expect(table.get(id)).toEqual(slot);
    expect(table.get('pos-0/http/never-set')).toBeUndefined();
  });

  it('keeps 300,000 sales in about 32 MB outside the heap, every one found again', () => {
    const table = new LedgerTable();
    for (let i = 0; i < 300_000; i++) table.set(`bench/http/b${i}`, { digest: i * 7, rev: 1 + (i % 3) });
    expect(table.size).toBe(300_000);
    expect(table.bytes).toBeLessThanOrEqual(1_048_576 * 32);
    for (let i = 0; i < 300_000; i += 997)
      expect(table.get(`bench/http/b${i}`)).toEqual({ digest: i * 7, rev: 1 + (i % 3) });
  });

  it('refuses a rev it cannot hold', () => {
    const table = new LedgerTable();
    expect(() => table.set('a', { digest: 1, rev: 0 })).toThrow(RangeError);
    expect(() => table.set('a', { digest: 1, rev: -1 })).toThrow(RangeError);
    expect(() => table.set('a', { digest: 1, rev: 2 ** 53 })).toThrow(RangeError);
    // A millisecond time is a rev it holds exactly.
    table.set('a', { digest: 1, rev: 1_796_000_000_123 });
    expect(table.get('a')).toEqual({ digest: 1, rev: 1_796_000_000_123 });
  });

  it('sized(n) holds n sales without growing, and clear() forgets them all in the same slots', () => {
    const table = LedgerTable.sized(1000);
    const bytes = table.bytes;
    // 32 bytes a slot, n / 0.6 slots: not rounded up to a power of two (2,048 slots, 65,536 bytes).
    expect(bytes).toBe(32 * Math.ceil(1001 / 0.6));
    for (let i = 0; i < 1000; i++) table.set(`s/http/${i}`, { digest: i, rev: 1 });
    expect(table.bytes).toBe(bytes);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get('s/http/7')).toBeUndefined();
    table.set('s/http/7', { digest: 3, rev: 2 });
    expect(table.get('s/http/7')).toEqual({ digest: 3, rev: 2 });
    expect(table.bytes).toBe(bytes);
  });
});
