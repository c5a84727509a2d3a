/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same feed, the same kill
 * targets and the same intervals, so that a failing chaos run can be replayed with `CHAOS_SEED`.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  /** An independent generator derived from this one (so that adding draws to one stream leaves the others alone). */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4_294_967_296));
  }
}

/** The seed: `CHAOS_SEED` when set (an unsigned 32-bit integer), otherwise a random one. */
export function seedFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return Math.floor(Math.random() * 4_294_967_296);
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 4_294_967_296)
    throw new Error('CHAOS_SEED must be an integer from 0 to 4294967295');
  return seed;
}
