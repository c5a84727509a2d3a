import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { kafkaAccessError, kafkaSecurity } from './kafka-security.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-security-'));
const ca = path.join(dir, 'ca.pem');
fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const passwordFile = path.join(dir, 'password');
fs.writeFileSync(passwordFile, 's3cret-from-file\n');

/** The problems a ConfigError lists, or none. */
function problems(env: Record<string, string>): string[] {
  try {
    kafkaSecurity(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
}

describe('kafkaSecurity', () => {
  it('is nothing for PLAINTEXT, TLS against the given CA for SSL, and SCRAM with a password from its file', () => {
    expect(kafkaSecurity({})).toEqual({});
    expect(kafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: ca }).ssl).toMatchObject({
      ca: expect.stringContaining('BEGIN CERTIFICATE'),
      rejectUnauthorized: true,
    });
    const security = kafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'sales',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(security.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'sales',
      password: 's3cret-from-file',
    });
    expect(security.ssl).toEqual({ rejectUnauthorized: true });
  });

  it('names every wrong setting, never a secret', () => {
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'TLS' })).toEqual([
      'KAFKA_SECURITY_PROTOCOL: must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL',
    ]);
    const missing = problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'sales' });
    expect(missing).toContain('KAFKA_SASL_PASSWORD: is required with SASL_SSL (or KAFKA_SASL_PASSWORD_FILE)');
    expect(missing.join()).toMatch(/KAFKA_SASL_MECHANISM: is required with SASL_SSL/);
    expect(
      problems({
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: 'sales',
        KAFKA_SASL_PASSWORD: 'hunter2-hunter2',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      }),
    ).toEqual(['KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE: set one of them, not both']);
    expect(problems({ KAFKA_SSL_CA_FILE: ca })).toEqual([
      'KAFKA_SSL_CA_FILE: only with KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL (it is PLAINTEXT)',
    ]);
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: passwordFile })).toEqual([
      `KAFKA_SSL_CA_FILE: ${passwordFile} is not a PEM file`,
    ]);
    expect(
      problems({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: path.join(dir, 'none.pem') }),
    ).toEqual([`KAFKA_SSL_CA_FILE: cannot read ${path.join(dir, 'none.pem')} (ENOENT)`]);
  });

  it('turns a refused login or an untrusted certificate into a configuration error naming the brokers', () => {
    const refused = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: invalid credentials'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    const wrapped = Object.assign(new Error('Connection error'), {
      name: 'KafkaJSNonRetriableError',
      cause: refused,
    });
    expect(kafkaAccessError(wrapped, ['b1:9093'])?.issues).toEqual([
      'Kafka at b1:9093 refused the credentials (SASL SCRAM SHA512 authentication failed: invalid credentials): check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or its _FILE)',
    ]);
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(kafkaAccessError(untrusted, ['b1:9093'])?.issues[0]).toMatch(
      /^Kafka at b1:9093: its TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN/,
    );
    expect(kafkaAccessError(new Error('ECONNREFUSED'), ['b1:9093'])).toBeUndefined();
  });
});
