/**
 * Lines per second of each source over a sliding window, from its running line count read now and then
 * (`feed_activity.lines`, which the consumer moves every couple of seconds). Pure: readings in, rates out.
 */
export class SourceRates {
  private readonly samples = new Map<string, Array<{ at: number; lines: number }>>();

  constructor(private readonly windowMs = 60_000) {}

  /**
   * Records each source's count at `now` and returns its rate over the readings of the last window (at
   * least two readings a second apart, else null). A source gone from the readings is forgotten.
   */
  observe(readings: Array<{ name: string; lines: number }>, now: number): Map<string, number | null> {
    const rates = new Map<string, number | null>();
    const seen = new Set<string>();
    for (const { name, lines } of readings) {
      seen.add(name);
      const kept = (this.samples.get(name) ?? []).filter((s) => s.at >= now - this.windowMs && s.at < now);
      kept.push({ at: now, lines });
      this.samples.set(name, kept);
      const first = kept[0] as { at: number; lines: number };
      const seconds = (now - first.at) / 1000;
      rates.set(name, seconds >= 1 ? Math.max(0, lines - first.lines) / seconds : null);
    }
    for (const name of this.samples.keys()) if (!seen.has(name)) this.samples.delete(name);
    return rates;
  }
}
