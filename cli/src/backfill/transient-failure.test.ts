import { describe, expect, it } from 'vitest';
import { isTransientFailure, pipelineAwayError } from './transient-failure.ts';

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('isTransientFailure', () => {
  it('takes the database or the brokers being away for a failure that the same command gets past', () => {
    expect(isTransientFailure(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    expect(
      isTransientFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isTransientFailure(named('KafkaJSConnectionError', 'Connection error: ECONNREFUSED'))).toBe(true);
    expect(isTransientFailure(new Error('step failed', { cause: named('KafkaJSRequestTimeoutError') }))).toBe(
      true,
    );
  });

  it('takes anything else for a failure of the history itself', () => {
    expect(isTransientFailure(named('FeedHeaderError', 'the header is not the sales header'))).toBe(false);
    expect(isTransientFailure(new Error('GET http://x/history.csv answered 404 Not Found'))).toBe(false);
    expect(isTransientFailure(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    // fetch's own error for a history URL that does not answer: the source, not the pipeline.
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isTransientFailure(new TypeError('fetch failed', { cause: refused }))).toBe(false);
    expect(isTransientFailure('a string')).toBe(false);
  });
});

describe('pipelineAwayError', () => {
  const where = {
    databaseUrl: 'postgres://sales_app:s3cret@db.internal:6432/sales',
    kafkaBrokers: 'k1:9092',
  };

  it('names the database that does not answer and what to do, never its password', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6432'), { code: 'ECONNREFUSED' });
    const error = pipelineAwayError(refused, where);
    expect(error.message).toContain('PostgreSQL at db.internal:6432 does not answer');
    expect(error.message).toContain('ECONNREFUSED');
    expect(`${error.message} ${error.hint}`).not.toContain('s3cret');
    expect(error.hint).toContain('run the same command again');
    expect(error.hint).toContain('DATABASE_URL');
  });

  it('names the brokers when Kafka does not answer', () => {
    const lost = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
    });
    const error = pipelineAwayError(lost, where);
    expect(error.message).toContain('Kafka at k1:9092 does not answer');
    expect(error.hint).toContain('KAFKA_BROKERS');
  });
});
