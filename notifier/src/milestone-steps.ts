/**
 * How the steps of a growing total follow each other:
 * - `1-2-5`: from the first step, then the round numbers a person reads at a glance — 1 k, 2 k, 5 k, 10 k,
 *   20 k, 50 k … (from 25: 25, 50, 100, 200, 500 …): a handful of milestones per tenfold growth;
 * - `multiples`: every multiple of the first step — one milestone per step, however large the total.
 */
export type StepSeries = '1-2-5' | 'multiples';

/** The least number of the 1-2-5 series (1, 2, 5 × 10^k) above `value` (> 0). */
export function nextOneTwoFive(value: bigint): bigint {
  const power = 10n ** BigInt(value.toString().length - 1);
  for (const m of [2n, 5n, 10n]) if (m * power > value) return m * power;
  return 10n * power;
}

/**
 * The steps in (before, after]: every step crossed by one change is its own milestone. Exact integers
 * (cents, units): never floating point.
 */
export function stepsCrossed(before: bigint, after: bigint, first: bigint, series: StepSeries): bigint[] {
  if (first <= 0n || after <= before) return [];
  const steps: bigint[] = [];
  if (series === 'multiples') {
    const from = before < 0n ? 1n : before / first + 1n;
    for (let k = from; k * first <= after; k++) steps.push(k * first);
    return steps;
  }
  for (let step = first; step <= after; step = nextOneTwoFive(step)) if (step > before) steps.push(step);
  return steps;
}
