import { describe, expect, it } from 'vitest';
import { nextPost, type Pacing } from './pace-posts.ts';

const pacing: Pacing = { minIntervalMs: 1100, digestAfter: 5, digestMax: 500, digestIntervalMs: 60_000 };

describe('nextPost', () => {
  it('posts nothing when nothing waits', () => {
    expect(nextPost(0, undefined, pacing, 0)).toBeUndefined();
  });

  it('posts a few milestones one by one, one a SLACK_MIN_INTERVAL_MS', () => {
    expect(nextPost(3, undefined, pacing, 10_000)).toEqual({ waitMs: 0, limit: 1 });
    expect(nextPost(5, { at: 10_000, digest: false }, pacing, 10_400)).toEqual({ waitMs: 700, limit: 1 });
  });

  it('gathers more than NOTIFIER_DIGEST_AFTER into one digest, then rests', () => {
    expect(nextPost(6, { at: 10_000, digest: false }, pacing, 12_000)).toEqual({ waitMs: 0, limit: 500 });
    expect(nextPost(300, { at: 12_000, digest: true }, pacing, 13_000)).toEqual({
      waitMs: 59_000,
      limit: 500,
    });
    expect(nextPost(1, { at: 12_000, digest: true }, pacing, 13_000)).toEqual({ waitMs: 59_000, limit: 1 });
  });

  it('does not rest while more than a digest waits, so the backlog stays bounded', () => {
    expect(nextPost(501, { at: 12_000, digest: true }, pacing, 13_000)).toEqual({ waitMs: 100, limit: 500 });
  });

  it('never digests with NOTIFIER_DIGEST_AFTER=0', () => {
    expect(nextPost(10_000, { at: 0, digest: false }, { ...pacing, digestAfter: 0 }, 5_000)).toEqual({
      waitMs: 0,
      limit: 1,
    });
  });
});
