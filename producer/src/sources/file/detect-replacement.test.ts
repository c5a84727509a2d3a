import { describe, expect, it } from 'vitest';
import { TAIL_BYTES, lastBytes, replacementByStat, rewrittenInPlace } from './detect-replacement.ts';

const file = { dev: 1, ino: 10, size: 100 };

describe('replacementByStat', () => {
  it('tells a rotation when the path names another inode or device', () => {
    expect(replacementByStat(file, { ...file, ino: 11 }, 100)).toBe('rotation');
    expect(replacementByStat(file, { ...file, dev: 2 }, 100)).toBe('rotation');
  });

  it('tells a truncation when the same file is shorter than what was read', () => {
    expect(replacementByStat(file, { ...file, size: 40 }, 100)).toBe('truncation');
  });

  it('tells nothing for the same file, as long or longer', () => {
    expect(replacementByStat(file, { ...file, size: 100 }, 100)).toBeUndefined();
    expect(replacementByStat(file, { ...file, size: 150 }, 100)).toBeUndefined();
  });
});

describe('rewrittenInPlace', () => {
  it('tells a rewrite when the bytes before the read offset changed', () => {
    expect(rewrittenInPlace(Buffer.from('a,b\n'), Buffer.from('a,c\n'))).toBe(true);
    expect(rewrittenInPlace(Buffer.from('a,b\n'), Buffer.from('a,b\n'))).toBe(false);
  });

  it('tells nothing when no bytes were remembered', () => {
    expect(rewrittenInPlace(Buffer.alloc(0), Buffer.from('x'))).toBe(false);
  });
});

describe('lastBytes', () => {
  it('keeps the last TAIL_BYTES of what was read, across chunks', () => {
    const first = Buffer.alloc(TAIL_BYTES, 'a');
    const kept = lastBytes(lastBytes(Buffer.alloc(0), first), Buffer.from('bc'));
    expect(kept.length).toBe(TAIL_BYTES);
    expect(kept.subarray(-3).toString()).toBe('abc');
    expect(lastBytes(Buffer.from('ab'), Buffer.from('c')).toString()).toBe('abc');
  });
});
