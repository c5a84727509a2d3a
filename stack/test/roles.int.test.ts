import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

const { secrets } = inject('stack');

async function asRole<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function cdcUrl(): string {
  // The CDC role's password is only given to Kafka Connect; the test reads it from the stack's credentials.
  const url = new URL(secrets.databaseUrl);
  url.username = 'sales_cdc';
  url.password = '';
  return url.toString();
}

describe('database roles', () => {
  it('lets the application role write the pipeline tables', async () => {
    await asRole(secrets.databaseUrl, async (db) => {
      await db.query(
        `INSERT INTO stores (store_id, city, region) VALUES ('roles-test', 'Paris', 'Île-de-France')`,
      );
      const { rows } = await db.query(`DELETE FROM stores WHERE store_id = 'roles-test' RETURNING city`);
      expect(rows).toEqual([{ city: 'Paris' }]);
    });
  });

  it('does not let the application role change the schema', async () => {
    await asRole(secrets.databaseUrl, async (db) => {
      await expect(db.query('CREATE TABLE intruder (id int)')).rejects.toThrow(/permission denied/);
      await expect(db.query('DROP TABLE sales')).rejects.toThrow(/must be owner/);
    });
  });

  it('gives the reporting role reads only', async () => {
    await asRole(secrets.readerDatabaseUrl, async (db) => {
      const { rows } = await db.query('SELECT revenue FROM analytics.revenue_total');
      expect(rows).toEqual([{ revenue: expect.stringMatching(/^\d+\.\d{2}$/) }]);
      await expect(db.query(`DELETE FROM sales`)).rejects.toThrow(/permission denied/);
      await expect(db.query(`UPDATE analytics.revenue_total SET revenue = 1`)).rejects.toThrow(
        /permission denied/,
      );
    });
  });

  it('keeps the CDC role to replication and the captured tables', async () => {
    const admin = new pg.Client({ connectionString: secrets.adminDatabaseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT rolreplication, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'sales_cdc'`,
      );
      expect(rows).toEqual([
        { rolreplication: true, rolsuper: false, rolcreatedb: false, rolcreaterole: false },
      ]);
      const privileges = await admin.query(
        `SELECT t AS table_name,
                has_table_privilege('sales_cdc', t, 'SELECT') AS can_select,
                has_table_privilege('sales_cdc', t, 'INSERT') AS can_insert
           FROM unnest(ARRAY['sales', 'products', 'stores', 'rejected_rows', 'consumer_offsets', 'milestones']) AS t
          ORDER BY t`,
      );
      expect(privileges.rows).toEqual([
        { table_name: 'consumer_offsets', can_select: false, can_insert: false },
        { table_name: 'milestones', can_select: false, can_insert: false },
        { table_name: 'products', can_select: true, can_insert: false },
        { table_name: 'rejected_rows', can_select: false, can_insert: false },
        { table_name: 'sales', can_select: true, can_insert: false },
        { table_name: 'stores', can_select: true, can_insert: false },
      ]);
    } finally {
      await admin.end();
    }
  });

  it('refuses a role without its password', async () => {
    await expect(asRole(cdcUrl(), (db) => db.query('SELECT 1'))).rejects.toThrow(/password/);
  });
});
