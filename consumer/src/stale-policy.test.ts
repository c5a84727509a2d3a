import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sales-pipeline/platform';
import { envSuffix, feedState, parseActiveHours, stalePolicies, type StalePolicy } from './stale-policy.ts';

const MINUTE = 60_000;
const always: StalePolicy = { afterMs: 30 * MINUTE, activeHours: null, timeZone: 'UTC' };
const shop: StalePolicy = {
  afterMs: 30 * MINUTE,
  activeHours: { from: 8 * 60, to: 20 * 60 },
  timeZone: 'UTC',
};
const at = (hhmm: string) => Date.parse(`2026-12-02T${hhmm}:00Z`);

describe('feedState', () => {
  it('is fresh within the threshold, stale after it', () => {
    expect(feedState(at('10:00'), at('10:30'), always)).toBe('fresh');
    expect(feedState(at('10:00'), at('10:31'), always)).toBe('stale');
  });

  it('raises nothing outside the active hours, nor right after the opening', () => {
    // Last sale at 19:59; overnight it is quiet, not stale.
    expect(feedState(at('19:59'), at('23:00'), shop)).toBe('quiet');
    expect(feedState(at('19:59') - 86_400_000, at('07:59'), shop)).toBe('quiet');
    // The shop opened at 08:00: silent for 20 minutes of its hours is not 30.
    expect(feedState(at('19:59') - 86_400_000, at('08:20'), shop)).toBe('quiet');
    expect(feedState(at('19:59') - 86_400_000, at('08:31'), shop)).toBe('stale');
    expect(feedState(at('12:00'), at('12:31'), shop)).toBe('stale');
  });

  it('reads the hours in the feed’s time zone, overnight ranges included', () => {
    const paris: StalePolicy = { ...shop, timeZone: 'Europe/Paris' };
    // 07:40 UTC is 08:40 in Paris (winter): open since 40 minutes.
    expect(feedState(at('00:00'), at('07:40'), paris)).toBe('stale');
    expect(feedState(at('00:00'), at('07:40'), shop)).toBe('quiet');
    const night: StalePolicy = { ...always, activeHours: { from: 22 * 60, to: 6 * 60 } };
    expect(feedState(at('10:00'), at('12:00'), night)).toBe('quiet');
    expect(feedState(at('10:00'), at('23:00'), night)).toBe('stale');
  });
});

describe('stalePolicies', () => {
  it('takes the defaults, overridden per feed, and refuses a bad override by name', () => {
    const env = { FEED_STALE_AFTER_POS_LYON: '5m', FEED_ACTIVE_HOURS_POS_LYON: '09:00-19:00' };
    const { policyOf, shortestMs } = stalePolicies(
      { FEED_STALE_AFTER: 30 * MINUTE, FEED_TIMEZONE: 'Europe/Paris' },
      env,
    );
    expect(shortestMs).toBe(5 * MINUTE);
    expect(policyOf('pos-lyon')).toEqual({
      afterMs: 5 * MINUTE,
      activeHours: { from: 540, to: 1140 },
      timeZone: 'Europe/Paris',
    });
    expect(policyOf('ventes')).toMatchObject({ afterMs: 30 * MINUTE, activeHours: null });
    expect(envSuffix('ventes-2024.v1')).toBe('VENTES_2024_V1');
    expect(() => stalePolicies({ FEED_STALE_AFTER: MINUTE }, { FEED_ACTIVE_HOURS_X: '8h-20h' })).toThrow(
      ConfigError,
    );
    expect(() => stalePolicies({ FEED_STALE_AFTER: MINUTE }, { FEED_TIMEZONE_X: 'Mars/Olympus' })).toThrow(
      /FEED_TIMEZONE_X/,
    );
    expect(parseActiveHours('08:00-08:00')).toBeUndefined();
  });
});
