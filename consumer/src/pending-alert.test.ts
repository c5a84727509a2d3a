import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sales-pipeline/platform';
import { loadConsumerConfig } from './config.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { overdueWarning } from './overdue-pending.ts';

describe('PENDING_ALERT_AFTER', () => {
  it('takes seconds or a number with a unit', () => {
    expect(parseDuration('600')).toBe(600_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2 s')).toBe(2_000);
    for (const bad of ['', '0', '-5', 'ten', '10 minutes', '5w']) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(2_000)).toBe('2s');
    expect(formatDuration(1_500)).toBe('1500ms');
  });

  it('defaults to 10 minutes and refuses a wrong value naming the variable', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://u@127.0.0.1:5432/sales' };
    expect(loadConsumerConfig(env).PENDING_ALERT_AFTER).toBe(600_000);
    expect(loadConsumerConfig({ ...env, PENDING_ALERT_AFTER: '90' }).PENDING_ALERT_AFTER).toBe(90_000);
    expect(() => loadConsumerConfig({ ...env, PENDING_ALERT_AFTER: 'soon' })).toThrow(ConfigError);
    expect(() => loadConsumerConfig({ ...env, PENDING_ALERT_AFTER: 'soon' })).toThrow(
      /PENDING_ALERT_AFTER: must be a positive duration/,
    );
  });

  it('warns with the count, the oldest and what they wait for; nothing when none is overdue', () => {
    expect(overdueWarning({ count: 0, oldestSince: null, waitingFor: [] }, 600_000)).toBeUndefined();
    expect(
      overdueWarning(
        { count: 2, oldestSince: new Date('2024-01-01T00:00:00Z'), waitingFor: ['store x7', 'product REF9'] },
        600_000,
      ),
    ).toBe(
      '2 sale(s) pending for longer than 10m (oldest since 2024-01-01T00:00:00.000Z, waiting for store x7, product REF9): see sales-pipeline dlq list',
    );
  });
});
