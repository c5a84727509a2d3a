import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import {
  databaseUrlSchema,
  kafkaBrokersSchema,
  logLevelSchema,
  parseConfig,
  positiveIntSchema,
} from './config.ts';

const schema = z.object({
  DATABASE_URL: databaseUrlSchema,
  KAFKA_BROKERS: kafkaBrokersSchema,
  LOG_LEVEL: logLevelSchema,
  BATCH_SIZE: positiveIntSchema(500),
});

describe('parseConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = parseConfig(schema, {
      DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/sales',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
    });
    expect(config).toEqual({
      DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/sales',
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9093'],
      LOG_LEVEL: 'info',
      BATCH_SIZE: 500,
    });
  });

  it('lists every invalid key at once', () => {
    const error = (() => {
      try {
        parseConfig(schema, {
          DATABASE_URL: 'mysql://x',
          KAFKA_BROKERS: 'no-port',
          LOG_LEVEL: 'loud',
          BATCH_SIZE: '0',
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).issues.map((issue) => issue.split(':')[0]);
    expect(keys.sort()).toEqual(['BATCH_SIZE', 'DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL']);
  });

  it('says a missing key is required', () => {
    expect(() => parseConfig(schema, { KAFKA_BROKERS: 'k:9092' })).toThrow(/DATABASE_URL: is required/);
  });

  it('never echoes the offending value, which may be a secret', () => {
    try {
      parseConfig(schema, { DATABASE_URL: 'not a url with s3cret-token', KAFKA_BROKERS: 'k:9092' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret-token');
    }
  });
});
