import { z } from 'zod';
import { ConfigError, type Env } from '@sales-pipeline/platform';
import { durationSchema, parseDuration } from './duration.ts';

/** When a feed is stale: silent for longer than `afterMs` of its active hours, in its time zone. */
export interface StalePolicy {
  afterMs: number;
  /** Minutes of the day the feed is expected to grow, [from, to); none: always. */
  activeHours: { from: number; to: number } | null;
  timeZone: string;
}

/** A feed name as it appears in an environment variable: `pos-lyon` → `POS_LYON`. */
export const envSuffix = (feed: string) => feed.toUpperCase().replace(/[^A-Z0-9]/g, '_');

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** `08:00-20:00` → minutes of the day; undefined when it is not such a range. Pure. */
export function parseActiveHours(text: string): { from: number; to: number } | undefined {
  const m = HOURS.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  return from === to ? undefined : { from, to };
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** FEED_STALE_AFTER (default 30m), FEED_ACTIVE_HOURS (e.g. 08:00-20:00) and FEED_TIMEZONE (default the machine's). */
export const staleEnvShape = {
  FEED_STALE_AFTER: durationSchema('30m'),
  FEED_ACTIVE_HOURS: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || parseActiveHours(v) !== undefined,
      'must be HH:MM-HH:MM, e.g. 08:00-20:00',
    ),
  FEED_TIMEZONE: z
    .string()
    .optional()
    .refine((v) => v === undefined || validTimeZone(v), 'must be an IANA time zone, e.g. Europe/Paris'),
};

/**
 * The policy of each feed: the defaults, overridden per feed by FEED_STALE_AFTER_<FEED>,
 * FEED_ACTIVE_HOURS_<FEED> and FEED_TIMEZONE_<FEED> (<FEED>: the name in capitals, other characters as `_`).
 * Every override is validated now (a ConfigError names the bad ones); the policy of a feed is read later.
 */
export function stalePolicies(
  defaults: {
    FEED_STALE_AFTER: number;
    FEED_ACTIVE_HOURS?: string | undefined;
    FEED_TIMEZONE?: string | undefined;
  },
  env: Env,
): StalePolicies {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.startsWith('FEED_STALE_AFTER_') && parseDuration(value) === undefined)
      problems.push(`${key}: must be a positive duration: seconds (600) or a number with a unit (30m)`);
    if (key.startsWith('FEED_ACTIVE_HOURS_') && parseActiveHours(value) === undefined)
      problems.push(`${key}: must be HH:MM-HH:MM, e.g. 08:00-20:00`);
    if (key.startsWith('FEED_TIMEZONE_') && !validTimeZone(value))
      problems.push(`${key}: must be an IANA time zone, e.g. Europe/Paris`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const machineZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const overrides = Object.entries(env).flatMap(([key, value]) =>
    key.startsWith('FEED_STALE_AFTER_') && value ? [parseDuration(value) as number] : [],
  );
  const policyOf = (feed: string): StalePolicy => {
    const suffix = envSuffix(feed);
    const after = env[`FEED_STALE_AFTER_${suffix}`];
    const hours = env[`FEED_ACTIVE_HOURS_${suffix}`] ?? defaults.FEED_ACTIVE_HOURS;
    return {
      afterMs: after ? (parseDuration(after) as number) : defaults.FEED_STALE_AFTER,
      activeHours: hours ? (parseActiveHours(hours) ?? null) : null,
      timeZone: env[`FEED_TIMEZONE_${suffix}`] ?? defaults.FEED_TIMEZONE ?? machineZone,
    };
  };
  return { policyOf, shortestMs: Math.min(defaults.FEED_STALE_AFTER, ...overrides) };
}

/** Each feed's policy, and the shortest threshold of all (the watch checks at a quarter of it). */
export interface StalePolicies {
  policyOf: (feed: string) => StalePolicy;
  shortestMs: number;
}

/** Minutes of the day of `at` in `timeZone`. */
function minuteOfDay(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return Number(parts.hour) * 60 + Number(parts.minute);
}

/**
 * A feed that last grew at `lastGrowthAt`, at `now`: `fresh` (it grew within the threshold), `stale`, or
 * `quiet` (silent, but outside its active hours, or not for long enough since they began: a shop that
 * opens at 08:00 is not stale at 08:01). Only `stale` raises the alarm, only `fresh` clears it. Pure.
 */
export function feedState(
  lastGrowthAt: number,
  now: number,
  policy: StalePolicy,
): 'stale' | 'fresh' | 'quiet' {
  if (now - lastGrowthAt <= policy.afterMs) return 'fresh';
  const hours = policy.activeHours;
  if (!hours) return 'stale';
  const minute = minuteOfDay(now, policy.timeZone);
  const open =
    hours.from < hours.to
      ? minute >= hours.from && minute < hours.to
      : minute >= hours.from || minute < hours.to;
  if (!open) return 'quiet';
  const sinceOpening = (minute - hours.from + 1440) % 1440;
  const openedAt = now - sinceOpening * 60_000 - (now % 60_000);
  return now - Math.max(lastGrowthAt, openedAt) > policy.afterMs ? 'stale' : 'quiet';
}
