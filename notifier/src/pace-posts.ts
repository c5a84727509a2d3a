/** How fast the channel gets messages. */
export interface Pacing {
  /** Least time between two posts (Slack takes about one message per second per channel). */
  minIntervalMs: number;
  /** More milestones than this waiting: one digest summarises them (0: never, one message each). */
  digestAfter: number;
  /** Most milestones in one digest. */
  digestMax: number;
  /** After a digest, the channel rests this long, so that the next digest gathers what came meanwhile. */
  digestIntervalMs: number;
}

/** The last post: when, and whether it was a digest. */
export interface LastPost {
  at: number;
  digest: boolean;
}

/**
 * The next post for a backlog of `pending` milestones: how long to wait before it, and how many
 * milestones it may carry (1: a message of its own; more: a digest). Pure.
 *
 * While the channel keeps up, each milestone is a message of its own, at most one per `minIntervalMs`.
 * When more than `digestAfter` wait, one digest takes them all (up to `digestMax`), then the channel
 * rests `digestIntervalMs` — unless more than a digest's worth still waits, which goes out at once: so the
 * backlog stays under what arrives in one rest plus one digest, and the channel gets one message a rest.
 */
export function nextPost(
  pending: number,
  last: LastPost | undefined,
  pacing: Pacing,
  now: number,
): { waitMs: number; limit: number } | undefined {
  if (pending <= 0) return undefined;
  const digest = pacing.digestAfter > 0 && pending > pacing.digestAfter;
  const limit = digest ? pacing.digestMax : 1;
  if (!last) return { waitMs: 0, limit };
  const gap = last.digest && pending <= pacing.digestMax ? pacing.digestIntervalMs : pacing.minIntervalMs;
  return { waitMs: Math.max(0, last.at + gap - now), limit };
}
