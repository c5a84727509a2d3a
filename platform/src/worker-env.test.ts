import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { cdcWorkerSchema, pipelineTopics, pipelineTopicsEnvShape, workerSchema } from './worker-env.ts';

describe('worker schemas', () => {
  it('give every worker the shared keys, with their defaults, beside its own', () => {
    const schema = workerSchema({ ...pipelineTopicsEnvShape, OWN_KEY: z.string().default('own') });
    const config = parseConfig(schema, { KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(config).toMatchObject({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      LOG_LEVEL: 'info',
      METRICS_HOST: '127.0.0.1',
      OWN_KEY: 'own',
    });
    expect(config.METRICS_PORT).toBeUndefined();
    expect(pipelineTopics(config)).toEqual({
      sales: 'sales',
      products: 'products',
      stores: 'stores',
      deadLetter: 'sales.deadletter',
    });
  });

  it('list the shared keys first and the metrics server’s last when several are wrong', () => {
    const schema = cdcWorkerSchema({ OWN_KEY: z.string().min(1) });
    let error: unknown;
    try {
      parseConfig(schema, { METRICS_PORT: '70000', OWN_KEY: '' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.split(':')[0])).toEqual([
      'KAFKA_BROKERS',
      'DATABASE_URL',
      'OWN_KEY',
      'METRICS_PORT',
    ]);
  });

  it('read the change topics under CDC_TOPIC_PREFIX, `cdc` by default', () => {
    const env = { KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://u@h/db' };
    expect(parseConfig(cdcWorkerSchema({}), env).CDC_TOPIC_PREFIX).toBe('cdc');
  });
});
