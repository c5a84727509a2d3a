import type pg from 'pg';
import { StackError } from '@sales-pipeline/platform';

/** What the database must offer before `migrate` runs, as read from it. */
export interface DatabaseFacts {
  /** server_version_num, e.g. 150019. */
  serverVersion: number;
  walLevel: string;
  maxReplicationSlots: number;
  maxWalSenders: number;
  /** The migrating role: a superuser, or may it create roles, and schemas in this database. */
  superuser: boolean;
  createRole: boolean;
  createInDatabase: boolean;
  /** The pipeline's roles that exist already, and whether sales_cdc may replicate (REPLICATION, or rds_replication). */
  existingRoles: string[];
  cdcCanReplicate: boolean;
}

/** One item of the checklist: what is needed, whether it is there, and how to get it when not. */
export interface ReadinessItem {
  need: string;
  ok: boolean;
  fix: string;
}

const ROLES = ['sales_app', 'sales_reader', 'sales_cdc'];

/**
 * The checklist `migrate` enforces, from what the database says (pure): logical decoding on, replication
 * slots and senders, the right to create the schema and the publication, the pipeline's roles (made by
 * `migrate` when it may, else made beforehand), and sales_cdc's right to replicate. Each fix names the
 * setting on the managed services that hide `wal_level`.
 */
export function readinessChecklist(facts: DatabaseFacts): ReadinessItem[] {
  const missingRoles = ROLES.filter((role) => !facts.existingRoles.includes(role));
  const cdcExists = facts.existingRoles.includes('sales_cdc');
  return [
    {
      // The publication leaves a backfill's bulk rows out with a row filter (PostgreSQL 15).
      need: `PostgreSQL 15 or later (it is ${Math.floor(facts.serverVersion / 10_000)})`,
      ok: facts.serverVersion >= 150_000,
      fix: 'upgrade the server to PostgreSQL 15 or later (the CDC publication uses a row filter)',
    },
    {
      need: `wal_level = logical (it is ${facts.walLevel})`,
      ok: facts.walLevel === 'logical',
      fix:
        'self-hosted: wal_level = logical in postgresql.conf, then restart; Amazon RDS / Aurora: rds.logical_replication = 1 in the parameter group, then reboot; ' +
        'Google Cloud SQL: the flag cloudsql.logical_decoding = on; Azure Database for PostgreSQL (flexible server): the server parameter wal_level = logical, then restart',
    },
    {
      need: `replication slots and WAL senders (max_replication_slots ${facts.maxReplicationSlots}, max_wal_senders ${facts.maxWalSenders})`,
      ok: facts.maxReplicationSlots >= 1 && facts.maxWalSenders >= 1,
      fix: 'set max_replication_slots and max_wal_senders to at least 1 each (Debezium uses one slot), then restart',
    },
    {
      need: 'the migrating role may create schemas and the publication in this database (CREATE on the database)',
      ok: facts.superuser || facts.createInDatabase,
      fix: 'run migrate as the database owner (DATABASE_ADMIN_URL), or: GRANT CREATE ON DATABASE <db> TO <that role>',
    },
    {
      need: `the roles ${ROLES.join(', ')} exist, or the migrating role may create them (CREATEROLE)`,
      ok: missingRoles.length === 0 || facts.superuser || facts.createRole,
      fix: `as an administrator: CREATE ROLE ${missingRoles.join('; CREATE ROLE ') || 'sales_app'} (NOLOGIN; migrate gives them their passwords), or ALTER ROLE <migrating role> CREATEROLE`,
    },
    {
      need: 'sales_cdc may replicate (REPLICATION, or rds_replication on Amazon RDS)',
      // A superuser creates it with REPLICATION; otherwise it must exist with the right already.
      ok: cdcExists ? facts.cdcCanReplicate : facts.superuser,
      fix:
        'as an administrator: CREATE ROLE sales_cdc NOLOGIN REPLICATION (self-hosted, Azure: ALTER ROLE sales_cdc WITH REPLICATION as azure_pg_admin); ' +
        'Amazon RDS: CREATE ROLE sales_cdc; GRANT rds_replication TO sales_cdc; Cloud SQL: ALTER ROLE sales_cdc WITH REPLICATION as a cloudsqlsuperuser',
    },
  ];
}

/** Reads the facts the checklist needs, with the migrating role's own connection. */
export async function readDatabaseFacts(client: pg.Client): Promise<DatabaseFacts> {
  const { rows } = await client.query<{
    server_version: string;
    wal_level: string;
    max_replication_slots: string;
    max_wal_senders: string;
    superuser: boolean;
    createrole: boolean;
    create_db: boolean;
  }>(
    `SELECT current_setting('server_version_num') AS server_version, current_setting('wal_level') AS wal_level,
            current_setting('max_replication_slots') AS max_replication_slots,
            current_setting('max_wal_senders') AS max_wal_senders,
            r.rolsuper AS superuser, r.rolcreaterole AS createrole,
            has_database_privilege(current_database(), 'CREATE') AS create_db
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const { rows: roles } = await client.query<{ rolname: string; replicates: boolean }>(
    `SELECT r.rolname,
            r.rolreplication OR EXISTS (
              SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
               WHERE m.member = r.oid AND g.rolname = 'rds_replication') AS replicates
       FROM pg_roles r WHERE r.rolname = ANY($1)`,
    [ROLES],
  );
  const row = rows[0];
  if (!row) throw new StackError('cannot read the migrating role from pg_roles');
  return {
    serverVersion: Number(row.server_version),
    walLevel: row.wal_level,
    maxReplicationSlots: Number(row.max_replication_slots),
    maxWalSenders: Number(row.max_wal_senders),
    superuser: row.superuser,
    createRole: row.createrole,
    createInDatabase: row.create_db,
    existingRoles: roles.map((r) => r.rolname),
    cdcCanReplicate: roles.find((r) => r.rolname === 'sales_cdc')?.replicates ?? false,
  };
}

/** The database lacks what the pipeline needs: each missing item and its fix, before any migration runs. */
export class DatabaseNotReadyError extends StackError {
  constructor(readonly missing: ReadinessItem[]) {
    super(
      `the database is not ready for the pipeline:\n${missing.map((item) => `  - ${item.need}\n    fix: ${item.fix}`).join('\n')}`,
      { hint: 'Fix each item (docs/own-cluster.md lists them per provider), then run migrate again.' },
    );
  }
}
