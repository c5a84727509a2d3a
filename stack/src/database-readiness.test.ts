import { describe, expect, it } from 'vitest';
import { readinessChecklist, type DatabaseFacts } from './database-readiness.ts';

const ready: DatabaseFacts = {
  serverVersion: 150_019,
  walLevel: 'logical',
  maxReplicationSlots: 10,
  maxWalSenders: 10,
  superuser: false,
  createRole: true,
  createInDatabase: true,
  existingRoles: ['sales_app', 'sales_reader', 'sales_cdc'],
  cdcCanReplicate: true,
};
const missing = (facts: DatabaseFacts) => readinessChecklist(facts).filter((item) => !item.ok);

describe('readinessChecklist', () => {
  it('passes a managed database prepared as documented (owner with CREATEROLE, sales_cdc made beforehand)', () => {
    expect(missing(ready)).toEqual([]);
  });

  it('asks for PostgreSQL 15 (the publication row filter of bulk history)', () => {
    expect(missing({ ...ready, serverVersion: 140_011 })).toEqual([
      {
        need: 'PostgreSQL 15 or later (it is 14)',
        ok: false,
        fix: 'upgrade the server to PostgreSQL 15 or later (the CDC publication uses a row filter)',
      },
    ]);
  });

  it('names wal_level with the setting of each managed service', () => {
    const [item] = missing({ ...ready, walLevel: 'replica' });
    expect(item?.need).toBe('wal_level = logical (it is replica)');
    expect(item?.fix).toContain('rds.logical_replication = 1');
    expect(item?.fix).toContain('cloudsql.logical_decoding = on');
    expect(item?.fix).toContain('Azure');
  });

  it('asks for sales_cdc made beforehand when the migrating role is no superuser, and for its replication right', () => {
    const noCdc = missing({ ...ready, existingRoles: ['sales_app', 'sales_reader'] });
    expect(noCdc.map((item) => item.need)).toEqual([
      'sales_cdc may replicate (REPLICATION, or rds_replication on Amazon RDS)',
    ]);
    expect(noCdc[0]?.fix).toContain('GRANT rds_replication TO sales_cdc');
    expect(missing({ ...ready, existingRoles: ['sales_app', 'sales_reader'], superuser: true })).toEqual([]);
    expect(missing({ ...ready, cdcCanReplicate: false })).toHaveLength(1);
  });

  it('asks for CREATEROLE only when a role is missing, and for CREATE on the database', () => {
    expect(missing({ ...ready, createRole: false })).toEqual([]);
    const items = missing({
      ...ready,
      createRole: false,
      createInDatabase: false,
      existingRoles: ['sales_cdc'],
    });
    expect(items.map((item) => item.need)).toEqual([
      'the migrating role may create schemas and the publication in this database (CREATE on the database)',
      'the roles sales_app, sales_reader, sales_cdc exist, or the migrating role may create them (CREATEROLE)',
    ]);
    expect(items[1]?.fix).toContain('CREATE ROLE sales_app; CREATE ROLE sales_reader');
  });
});
