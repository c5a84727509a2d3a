import crypto from 'node:crypto';

/** What the ledger knows of one sale: about 48 bits of its content hash, and its `rev` (a positive integer). */
export interface LedgerSlot {
  digest: number;
  rev: number;
}

const EMPTY = 0;
const DELETED = -1;
const MAX_LOAD = 0.6;

/**
 * A hash table of sale id → {@link LedgerSlot} kept in typed arrays, outside the V8 heap: the garbage
 * collector never walks it, and an entry costs 32 bytes a slot (53 to 107 bytes a sale with the table 60 % to
 * 30 % full) instead of about 95 bytes of heap in a Map, which the collector went over again and again.
 * Each id is known by 128 bits of its sha256 (two ids share them with a probability of about n² / 2^129:
 * 10^-26 for ten million sales). Open addressing with linear probing; deleted slots are marked and skipped.
 */
export class LedgerTable {
  private keys: Uint32Array;
  private digests: Float64Array;
  /** `rev` of each slot (an integer: a millisecond time fits); 0 is an empty slot, -1 a deleted one. */
  private revs: Float64Array;
  private used = 0;
  private live = 0;

  constructor(capacity = 1024) {
    // Any size (a slot is taken modulo it): rounded up to a power of two, the default ledger's two
    // tables took 16.8 MB instead of 10.7.
    const size = Math.max(16, Math.ceil(capacity));
    this.keys = new Uint32Array(size * 4);
    this.digests = new Float64Array(size);
    this.revs = new Float64Array(size);
  }

  /** A table that holds `entries` sales without growing. */
  static sized(entries: number): LedgerTable {
    return new LedgerTable(Math.ceil((entries + 1) / MAX_LOAD));
  }

  get size(): number {
    return this.live;
  }

  /** Bytes held by the table's arrays (outside the heap). */
  get bytes(): number {
    return this.keys.byteLength + this.digests.byteLength + this.revs.byteLength;
  }

  get(saleId: string): LedgerSlot | undefined {
    const key = keyOf(saleId);
    const slot = this.find(key);
    return slot < 0 ? undefined : { digest: this.digests[slot] as number, rev: this.revs[slot] as number };
  }

  set(saleId: string, value: LedgerSlot): void {
    if (!Number.isSafeInteger(value.rev) || value.rev < 1)
      throw new RangeError(`a ledger rev is an integer from 1 to 2^53 - 1, not ${value.rev}`);
    if ((this.used + 1) / this.revs.length > MAX_LOAD) this.grow();
    const key = keyOf(saleId);
    const found = this.find(key);
    const slot = found >= 0 ? found : this.place(key);
    this.digests[slot] = value.digest;
    this.revs[slot] = value.rev;
  }

  delete(saleId: string): void {
    const slot = this.find(keyOf(saleId));
    if (slot < 0) return;
    this.revs[slot] = DELETED;
    this.live--;
  }

  /** Forgets every entry, keeping the slots (no allocation). */
  clear(): void {
    this.keys.fill(0);
    this.digests.fill(0);
    this.revs.fill(EMPTY);
    this.used = 0;
    this.live = 0;
  }

  /** The slot holding `key`, or -1. */
  private find(key: Uint32Array): number {
    const size = this.revs.length;
    for (let slot = (key[0] as number) % size; ; slot = slot + 1 === size ? 0 : slot + 1) {
      const rev = this.revs[slot] as number;
      if (rev === EMPTY) return -1;
      if (rev !== DELETED && this.keyAt(slot, key)) return slot;
    }
  }

  /** Takes the first empty slot of `key`'s probe sequence for it (the key is known absent). */
  private place(key: Uint32Array): number {
    const size = this.revs.length;
    let slot = (key[0] as number) % size;
    while (this.revs[slot] !== EMPTY) slot = slot + 1 === size ? 0 : slot + 1;
    this.keys.set(key, slot * 4);
    this.used++;
    this.live++;
    return slot;
  }

  private keyAt(slot: number, key: Uint32Array): boolean {
    const at = slot * 4;
    const keys = this.keys;
    return (
      keys[at] === key[0] && keys[at + 1] === key[1] && keys[at + 2] === key[2] && keys[at + 3] === key[3]
    );
  }

  /** Twice the slots (or as many again when deleted slots fill it), every live entry placed again. */
  private grow(): void {
    const { keys, digests, revs } = this;
    const size = this.live * 2 > revs.length * MAX_LOAD ? revs.length * 2 : revs.length;
    this.keys = new Uint32Array(size * 4);
    this.digests = new Float64Array(size);
    this.revs = new Float64Array(size);
    this.used = 0;
    this.live = 0;
    for (let slot = 0; slot < revs.length; slot++) {
      const rev = revs[slot] as number;
      if (rev === EMPTY || rev === DELETED) continue;
      const placed = this.place(keys.subarray(slot * 4, slot * 4 + 4));
      this.digests[placed] = digests[slot] as number;
      this.revs[placed] = rev;
    }
  }
}

/** 128 bits of the sha256 of a sale id, as four 32-bit words. */
function keyOf(saleId: string): Uint32Array {
  const digest = crypto.createHash('sha256').update(saleId).digest();
  return Uint32Array.of(
    digest.readUInt32LE(0),
    digest.readUInt32LE(4),
    digest.readUInt32LE(8),
    digest.readUInt32LE(12),
  );
}
