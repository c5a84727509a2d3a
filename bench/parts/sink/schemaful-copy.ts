import type { RunningStack } from '@sales-pipeline/stack';
import { PRODUCTS } from '../../lib/feed.ts';
import { kafkaOf, readTopic } from '../../lib/part.ts';
import type { SaleMessage } from '../../lib/sales-topic.ts';

/**
 * The JDBC sink needs a schema with every record: Kafka Connect cannot recover one from schemaless JSON
 * (no converter or built-in SMT does it). So the rows our producer published to `sales` are copied, not
 * measured, into a second topic, each as the JsonConverter's schema + payload envelope (a flat struct with
 * the row as `sales` stores it: Connect Date for the day, Decimal for the money).
 */
export const SCHEMAFUL_TOPIC = 'sales.schemaful';

/** Connect's Decimal: the unscaled value, big-endian two's complement, base64 in JSON. */
function decimalBytes(cents: number): string {
  let hex = cents.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return Buffer.from(hex, 'hex').toString('base64');
}

const money = (scale: number) => ({
  type: 'bytes',
  name: 'org.apache.kafka.connect.data.Decimal',
  version: 1,
  parameters: { scale: String(scale) },
  optional: false,
});
const SCHEMA = {
  type: 'struct',
  name: 'bench.sale',
  optional: false,
  fields: [
    { field: 'sale_id', type: 'string', optional: false },
    {
      field: 'sold_on',
      type: 'int32',
      name: 'org.apache.kafka.connect.data.Date',
      version: 1,
      optional: false,
    },
    { field: 'product_id', type: 'string', optional: false },
    { field: 'store_id', type: 'string', optional: false },
    { field: 'quantity', type: 'int32', optional: false },
    { field: 'unit_price', ...money(2) },
    { field: 'amount', ...money(2) },
    { field: 'status', type: 'string', optional: false },
    { field: 'feed', type: 'string', optional: false },
    { field: 'line_number', type: 'int64', optional: false },
  ],
};
const SCHEMA_JSON = JSON.stringify(SCHEMA);
const priceOf = new Map(PRODUCTS.map((p) => [p.id, p.cents]));

/** The row `sales` stores for a message, as a schema'd JSON envelope. */
function envelope(sale: SaleMessage): string {
  const unit = priceOf.get(sale.product_id) ?? 0;
  const payload = {
    sale_id: sale.sale_id,
    sold_on: Math.round(Date.parse(`${sale.sold_on}T00:00:00Z`) / 86_400_000),
    product_id: sale.product_id,
    store_id: sale.store_id,
    quantity: sale.quantity,
    unit_price: decimalBytes(unit),
    amount: decimalBytes(unit * sale.quantity),
    status: 'complete',
    feed: sale.feed,
    line_number: sale.line,
  };
  return `{"schema":${SCHEMA_JSON},"payload":${JSON.stringify(payload)}}`;
}

/**
 * Kafka refuses a record batch over `message.max.bytes` (1 MiB by default), and kafkajs puts all the
 * messages of one partition in one `send` into one record batch: the envelopes (~1 KiB each, the schema
 * repeated) go in sends of at most this many bytes.
 */
const SEND_BYTES = 512 * 1024;

/** Copies the committed messages of `sales` into `sales.schemaful`, same keys, same partitions. */
export async function copyToSchemafulTopic(stack: RunningStack, rows: number): Promise<void> {
  const kafka = kafkaOf(stack);
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .createTopics({ waitForLeaders: true, topics: [{ topic: SCHEMAFUL_TOPIC, numPartitions: 3 }] })
    .finally(() => admin.disconnect());
  const producer = kafka.producer();
  await producer.connect();
  try {
    const copied = await readTopic(
      stack,
      'sales',
      "the schema'd copy",
      async (batch, heartbeat) => {
        let chunk: Array<{ key: Buffer | null; value: string; partition: number }> = [];
        let bytes = 0;
        const flush = async () => {
          if (chunk.length === 0) return;
          await producer.send({ topic: SCHEMAFUL_TOPIC, messages: chunk, acks: -1, timeout: 30_000 });
          chunk = [];
          bytes = 0;
          await heartbeat();
        };
        for (const m of batch.messages) {
          const value = envelope(JSON.parse(m.value?.toString() ?? '{}') as SaleMessage);
          if (bytes + value.length > SEND_BYTES) await flush();
          chunk.push({ key: m.key, value, partition: batch.partition });
          bytes += value.length + (m.key?.length ?? 0);
        }
        await flush();
      },
      { maxBytesPerPartition: 4 << 20 },
    );
    if (copied !== rows) throw new Error(`the topic sales held ${copied} sales; expected ${rows}`);
  } finally {
    await producer.disconnect();
  }
}
