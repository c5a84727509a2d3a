import { describe, expect, it } from 'vitest';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isBrokerOutage, isFenced } from './broker-outage.ts';

describe('isBrokerOutage', () => {
  it('is a broker going away: a lost connection, retries exhausted on one, a coordinator that moved', () => {
    expect(
      isBrokerOutage(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')),
    ).toBe(true);
    expect(
      isBrokerOutage(
        new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Closed connection'), {
          retryCount: 5,
          retryTime: 100,
        }),
      ),
    ).toBe(true);
    const notCoordinator = Object.assign(new KafkaJSProtocolError('not coordinator'), {
      type: 'NOT_COORDINATOR',
      retriable: true,
    });
    expect(isBrokerOutage(notCoordinator)).toBe(true);
    expect(isBrokerOutage(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('is an old epoch after a broker restart (the coordinator aborted the open transaction): a new connection mends it', () => {
    const epoch = Object.assign(
      new KafkaJSProtocolError('Producer attempted an operation with an old epoch'),
      {
        type: 'INVALID_PRODUCER_EPOCH',
        retriable: false,
      },
    );
    expect(isBrokerOutage(epoch)).toBe(true);
    expect(isFenced(epoch)).toBe(true);
    expect(isFenced(new KafkaJSConnectionError('Closed connection'))).toBe(false);
  });

  it('is not a missing permission, refused credentials, or an error of the feed itself', () => {
    const denied = Object.assign(new KafkaJSProtocolError('denied'), {
      type: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
    expect(isBrokerOutage(denied)).toBe(false);
    expect(
      isBrokerOutage(
        Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
          name: 'KafkaJSSASLAuthenticationError',
        }),
      ),
    ).toBe(false);
    expect(isBrokerOutage(new Error('the feed header is wrong'))).toBe(false);
    expect(isBrokerOutage(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
  });
});
