import { describe, expect, it } from 'vitest';
import { databaseAccessError } from './database-access-error.ts';

const url = 'postgres://sales_app:s3cret-pw@db.example.com:6432/sales?sslmode=verify-full';

describe('databaseAccessError', () => {
  it('names the server and the cause of a refused login, never the password', () => {
    const error = Object.assign(
      new Error(
        'no pg_hba.conf entry for host "10.0.0.1", user "sales_app", database "sales", no encryption',
      ),
      { code: '28000' },
    );
    const config = databaseAccessError(error, url);
    expect(config?.issues).toEqual([
      expect.stringMatching(
        /^DATABASE_URL: PostgreSQL at db\.example\.com:6432 refused the connection \(no pg_hba.*no encryption\)/,
      ),
    ]);
    expect(config?.message).not.toContain('s3cret-pw');
    expect(
      databaseAccessError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), url)
        ?.issues[0],
    ).toContain('refused the password');
  });

  it('says an untrusted certificate or a server without TLS as such', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(databaseAccessError(untrusted, url)?.issues[0]).toMatch(
      /TLS certificate does not verify .*sslrootcert/,
    );
    expect(
      databaseAccessError(new Error('The server does not support SSL connections'), url)?.issues[0],
    ).toContain('does not serve TLS');
  });

  it('says a database without the migrations as such (a missing table or schema)', () => {
    const missing = Object.assign(new Error('relation "backfills" does not exist'), { code: '42P01' });
    expect(databaseAccessError(missing, url)?.issues).toEqual([
      'DATABASE_URL: PostgreSQL at db.example.com:6432: relation "backfills" does not exist: the database lacks the pipeline\'s tables; apply the migrations (sales-pipeline migrate) or point DATABASE_URL at the pipeline\'s database',
    ]);
    const schema = Object.assign(new Error('schema "analytics" does not exist'), { code: '3F000' });
    expect(databaseAccessError(schema, url)?.issues[0]).toContain('sales-pipeline migrate');
  });

  it('leaves every other error alone (a restart, a lost connection are retried)', () => {
    expect(
      databaseAccessError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), url),
    ).toBeUndefined();
    expect(
      databaseAccessError(Object.assign(new Error('terminating connection'), { code: '57P01' }), url),
    ).toBeUndefined();
    expect(databaseAccessError(new Error('x'), undefined)).toBeUndefined();
  });
});
