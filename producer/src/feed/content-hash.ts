import crypto from 'node:crypto';

/** sha256 of `bytes`, hex. */
export const sha256 = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * Whether `prefix`, read from the start of a source, is exactly the `length` bytes published, whose
 * sha256 is `sha`: the source still starts with what was published.
 */
export function holdsPublished(prefix: Buffer, length: number, sha: string): boolean {
  return prefix.length === length && sha256(prefix) === sha;
}

/**
 * Running sha256 of the bytes [0, cursor offset) of a generation. Bytes are given as they are read and
 * hashed only once the cursor covers them: bytes of a record not yet complete wait in `unhashed`.
 */
export class PrefixHash {
  private readonly hash = crypto.createHash('sha256');
  private hashedOffset: number;
  /** Bytes read past `hashedOffset`, not yet covered by the cursor. */
  private unhashed: Buffer = Buffer.alloc(0);

  /** Starts at `offset`; `prefix` holds the bytes before it, when they are known. */
  constructor(offset: number, prefix?: Buffer) {
    this.hashedOffset = offset;
    if (prefix) this.hash.update(prefix);
  }

  /** Bytes read so far: those hashed plus those waiting. */
  get readOffset(): number {
    return this.hashedOffset + this.unhashed.length;
  }

  /** Takes the bytes read after the others and hashes all of them up to `cursorOffset`. */
  advance(chunk: Buffer, cursorOffset: number): void {
    this.unhashed = this.unhashed.length ? Buffer.concat([this.unhashed, chunk]) : chunk;
    const consumed = cursorOffset - this.hashedOffset;
    if (consumed > 0) {
      this.hash.update(this.unhashed.subarray(0, consumed));
      this.unhashed = this.unhashed.subarray(consumed);
      this.hashedOffset += consumed;
    }
  }

  /** The sha256 of the bytes hashed so far, hex (the running hash goes on). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}
