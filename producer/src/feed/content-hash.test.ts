import { describe, expect, it } from 'vitest';
import { PrefixHash, holdsPublished, sha256 } from './content-hash.ts';

describe('PrefixHash', () => {
  it('hashes only the bytes the cursor covers, whatever the chunks', () => {
    const hash = new PrefixHash(0);
    hash.advance(Buffer.from('id,qty\n1,'), 7);
    expect(hash.readOffset).toBe(9);
    expect(hash.digest()).toBe(sha256(Buffer.from('id,qty\n')));
    hash.advance(Buffer.from('2\n'), 11);
    expect(hash.digest()).toBe(sha256(Buffer.from('id,qty\n1,2\n')));
  });

  it('starts after a known prefix', () => {
    const hash = new PrefixHash(7, Buffer.from('id,qty\n'));
    hash.advance(Buffer.from('1,2\n'), 11);
    expect(hash.digest()).toBe(sha256(Buffer.from('id,qty\n1,2\n')));
  });
});

describe('holdsPublished', () => {
  it('is true only for the same bytes, all of them', () => {
    const sha = sha256(Buffer.from('abc'));
    expect(holdsPublished(Buffer.from('abc'), 3, sha)).toBe(true);
    expect(holdsPublished(Buffer.from('abd'), 3, sha)).toBe(false);
    expect(holdsPublished(Buffer.from('ab'), 3, sha)).toBe(false);
  });
});
