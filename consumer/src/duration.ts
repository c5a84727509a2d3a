import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as written in the environment: seconds (`600`), or a number with a unit `ms`, `s`, `m`,
 * `h` or `d` (`10m`, `1.5h`). Pure; undefined when the text is not one, or is not positive.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number));
  return ms > 0 ? ms : undefined;
}

/** A duration in the shortest exact unit: 600000 → `10m`, 2000 → `2s`, 1500 → `1500ms`. Pure. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration variable of the environment, to milliseconds, with `defaultText` when unset. */
export function durationSchema(defaultText: string) {
  return z
    .string()
    .default(defaultText)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a positive duration: seconds (600) or a number with a unit ms, s, m, h or d (10m); default ${defaultText}`,
        });
        return z.NEVER;
      }
      return ms;
    });
}

/** PENDING_ALERT_AFTER: a sale pending for longer than this is a warning. Default 10 minutes. */
export const pendingAlertAfterSchema = durationSchema('10m');
