import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CDC_TOPIC_PREFIX } from '@sales-pipeline/stack';
import { findInTopic, parseChange } from '../../test-support/kafka-readers.ts';

interface SaleRow {
  sale_id: string;
  quantity: number;
  unit_price: string | null;
  amount: string | null;
  status: string;
}

const { endpoints, secrets } = inject('stack');
const topic = `${CDC_TOPIC_PREFIX}.public.sales`;
let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: secrets.databaseUrl });
  await db.connect();
});
afterAll(() => db.end());

describe('Debezium change data capture of the sales table', () => {
  it('publishes an insert as a create event with exact decimal strings', async () => {
    await db.query(
      `INSERT INTO sales (sale_id, sold_on, product_id, store_id, quantity, unit_price, amount, status, feed, line_number)
       VALUES ('cdc-test-1', '2023-05-27', 'REF001', '1', 5, 49.99, 249.95, 'complete', 'test-feed', 2)`,
    );
    const event = parseChange<SaleRow>(
      await findInTopic(
        endpoints.kafkaBrokers,
        topic,
        (m) => parseChange<SaleRow>(m).after?.sale_id === 'cdc-test-1',
      ),
    );
    expect(event?.op).toBe('c');
    expect(event?.before).toBeNull();
    expect(event?.after).toMatchObject({
      quantity: 5,
      unit_price: '49.99',
      amount: '249.95',
      status: 'complete',
    });
    expect(event?.source.table).toBe('sales');
  });

  it('carries the full before image of an update (REPLICA IDENTITY FULL)', async () => {
    await db.query(`UPDATE sales SET quantity = 6, amount = 299.94 WHERE sale_id = 'cdc-test-1'`);
    const update = parseChange<SaleRow>(
      await findInTopic(endpoints.kafkaBrokers, topic, (m) => {
        const e = parseChange<SaleRow>(m);
        return e.op === 'u' && e.after?.sale_id === 'cdc-test-1';
      }),
    );
    expect(update?.before).toMatchObject({ sale_id: 'cdc-test-1', quantity: 5, amount: '249.95' });
    expect(update?.after).toMatchObject({ sale_id: 'cdc-test-1', quantity: 6, amount: '299.94' });
  });

  it('carries the deleted row in a delete event', async () => {
    await db.query(`DELETE FROM sales WHERE sale_id = 'cdc-test-1'`);
    const deletion = parseChange<SaleRow>(
      await findInTopic(endpoints.kafkaBrokers, topic, (m) => {
        const e = parseChange<SaleRow>(m);
        return e.op === 'd' && e.before?.sale_id === 'cdc-test-1';
      }),
    );
    expect(deletion?.before).toMatchObject({ sale_id: 'cdc-test-1', quantity: 6, amount: '299.94' });
    expect(deletion?.after).toBeNull();
  });
});

describe('the replication slot', () => {
  it('is the named pgoutput slot, active while the connector runs', async () => {
    const admin = new pg.Client({ connectionString: secrets.adminDatabaseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT slot_name, plugin, active FROM pg_replication_slots WHERE slot_name = 'sales_pipeline_cdc'`,
      );
      expect(rows).toEqual([{ slot_name: 'sales_pipeline_cdc', plugin: 'pgoutput', active: true }]);
    } finally {
      await admin.end();
    }
  });
});
