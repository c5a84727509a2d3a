import { describe, expect, it } from 'vitest';
import { newClusterId } from './kafka-node.ts';

describe('newClusterId', () => {
  it('never returns an id starting with "-" (the storage tool would read it as an option)', () => {
    // 0xf8 encodes to '-' as the first URL-safe base64 character.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = newClusterId(() => draws.shift() ?? Buffer.alloc(16, 0x42));
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(id).toHaveLength(22);
  });
});
