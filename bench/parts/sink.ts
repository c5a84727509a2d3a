/**
 * sink — our consumer vs the Debezium JDBC sink connector (io.debezium:debezium-connector-jdbc, in the
 * stack's Kafka Connect; insert.mode=upsert, primary.key.mode=record_value on sale_id), the same
 * BENCH_SINK_ROWS rows (default BENCH_ROWS, 1,000,000) into tables of the same shape, one after the other.
 *
 * The JDBC sink needs a schema with every record: Kafka Connect cannot recover one from schemaless JSON
 * (no converter or built-in SMT does it). So the rows our producer published to `sales` are copied, not
 * measured, into a second topic `sales.schemaful`, each as the JsonConverter's schema + payload envelope
 * (a flat struct with the row as `sales` stores it: Connect Date for the day, Decimal for the money). Our
 * consumer reads `sales` into `sales`; the sink reads `sales.schemaful` into `sales_jdbc`
 * (`LIKE sales INCLUDING ALL`). Each is timed from its start to its last row committed.
 */
import path from 'node:path';
import fs from 'node:fs';
import { connectorState, type RunningStack } from '@sales-pipeline/stack';
import { adminClient, fmt, rate, secs, setCdc, sizeFromEnv } from '../bench-stack.ts';
import { PRODUCTS, tempDir, writeFeed, writeReferenceFiles } from '../lib/feed.ts';
import {
  commitSpan,
  pathFigures,
  kafkaOf,
  readTopic,
  storedOffsetsReach,
  waitForRows,
  type PartResult,
} from '../lib/part.ts';
import { startWorker, waitForExit, whileAlive, workerEnv } from '../lib/workers.ts';

export const SINK_TARGET = 3;
const SINK_CONNECTOR = 'bench-jdbc-sink';
const SCHEMAFUL_TOPIC = 'sales.schemaful';

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

interface SaleMessage {
  sale_id: string;
  feed: string;
  line: number;
  sold_on: string;
  product_id: string;
  store_id: string;
  quantity: number;
}

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
async function copyToSchemafulTopic(stack: RunningStack, rows: number): Promise<void> {
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

export async function sink(stack: RunningStack): Promise<PartResult> {
  const rows = sizeFromEnv('BENCH_SINK_ROWS', sizeFromEnv('BENCH_ROWS', 1_000_000));
  const dir = tempDir('sink');
  const refs = writeReferenceFiles(dir);
  const feedFile = path.join(dir, 'bench.csv');
  writeFeed(feedFile, rows);
  const db = await adminClient(stack);
  await setCdc(stack, false);

  // 0. Topic contents (not measured): our producer publishes the feed; a copy goes to the schema'd topic.
  process.stdout.write(`sink: publishing ${fmt(rows)} sales, then their schema'd copy…\n`);
  const producer = startWorker(
    'producer',
    ['produce', '--sales', feedFile, '--products', refs.products, '--stores', refs.stores],
    workerEnv(stack),
  );
  await waitForExit(producer, rows);
  await copyToSchemafulTopic(stack, rows);
  fs.rmSync(dir, { recursive: true, force: true });

  // 1. Our consumer, sales → sales.
  process.stdout.write('sink: our consumer…\n');
  const oursStarted = Date.now();
  const consumer = startWorker('consumer', ['consume'], workerEnv(stack));
  await whileAlive(
    [consumer],
    waitForRows(db, 'sales', rows, storedOffsetsReach(db, 'sales-pipeline.consumer', 'sales', rows)),
  );
  const oursSpan = await commitSpan(db, 'sales');
  await consumer.stop();
  const oursMs = oursSpan.lastMs - oursStarted;

  // 2. The Debezium JDBC sink, sales.schemaful → sales_jdbc (same shape as sales).
  process.stdout.write('sink: Debezium JDBC sink connector…\n');
  await db.query('CREATE TABLE sales_jdbc (LIKE sales INCLUDING ALL)');
  await db.query('GRANT SELECT, INSERT, UPDATE, DELETE ON sales_jdbc TO sales_app');
  await db.query('CHECKPOINT');
  const dbUrl = new URL(stack.secrets.databaseUrl);
  const tasks = 3;
  const config = {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': String(tasks),
    topics: SCHEMAFUL_TOPIC,
    'connection.url': `jdbc:postgresql://${dbUrl.hostname}:${dbUrl.port}${dbUrl.pathname}`,
    'connection.username': decodeURIComponent(dbUrl.username),
    'connection.password': decodeURIComponent(dbUrl.password),
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_value',
    'primary.key.fields': 'sale_id',
    'schema.evolution': 'none',
    'table.name.format': 'sales_jdbc',
    'use.time.zone': 'UTC',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
  };
  const sinkStarted = Date.now();
  const response = await fetch(`${stack.endpoints.connectUrl}/connectors/${SINK_CONNECTOR}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(60_000),
  });
  if (!response.ok)
    throw new Error(`Connect refused the JDBC sink: ${response.status} ${await response.text()}`);
  /** The sink's state ("connector RUNNING, tasks RUNNING×3"); a FAILED task fails the part with its trace. */
  const sinkState = async () => {
    let state: Awaited<ReturnType<typeof connectorState>>;
    try {
      state = await connectorState(stack.endpoints.connectUrl, SINK_CONNECTOR);
    } catch (error) {
      return `sink status unavailable (${error instanceof Error ? error.message : String(error)})`;
    }
    const task = state.tasks.find((t) => t.state === 'FAILED');
    if (task) throw new Error(`JDBC sink task FAILED: ${(task.trace ?? '').slice(0, 2000)}`);
    return `sink connector ${state.state}, tasks ${state.tasks.map((t) => t.state).join(', ') || 'none yet'}`;
  };
  await waitForRows(db, 'sales_jdbc', rows, async () => {
    const state = await sinkState();
    const { rows: r } = await db.query<{ n: string }>(
      "SELECT n_tup_ins AS n FROM pg_stat_user_tables WHERE relname = 'sales_jdbc'",
    );
    const n = Number(r[0]?.n ?? 0);
    return { open: n >= rows * 0.9, seen: `${state}; ${n} inserts on sales_jdbc (pg_stat_user_tables)` };
  });
  const sinkSpan = await commitSpan(db, 'sales_jdbc');
  const sinkMs = sinkSpan.lastMs - sinkStarted;
  await fetch(`${stack.endpoints.connectUrl}/connectors/${SINK_CONNECTOR}`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(60_000),
  });

  // Both tables hold the same rows: counts, distinct keys, sums, and every row identical column by column.
  const totals = async (table: string) => {
    const { rows: r } = await db.query<{ rows: string; keys: string; quantity: string; amount: string }>(
      `SELECT count(*) AS rows, count(DISTINCT sale_id) AS keys, sum(quantity) AS quantity, sum(amount) AS amount
         FROM ${table}`,
    );
    const t = r[0];
    return {
      rows: Number(t?.rows),
      distinctSaleIds: Number(t?.keys),
      quantity: Number(t?.quantity),
      amount: String(t?.amount),
    };
  };
  const oursTotals = await totals('sales');
  const sinkTotals = await totals('sales_jdbc');
  const same = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM sales s JOIN sales_jdbc j USING (sale_id)
      WHERE (s.sold_on, s.product_id, s.store_id, s.quantity, s.unit_price, s.amount, s.status, s.feed, s.line_number)
          = (j.sold_on, j.product_id, j.store_id, j.quantity, j.unit_price, j.amount, j.status, j.feed, j.line_number)`,
  );
  const identicalRows = Number(same.rows[0]?.n);
  const resultsMatch =
    JSON.stringify(oursTotals) === JSON.stringify(sinkTotals) &&
    sinkTotals.rows === rows &&
    sinkTotals.distinctSaleIds === rows &&
    identicalRows === rows;
  await db.query('TRUNCATE sales');
  await db.query('DROP TABLE sales_jdbc');
  await db.end();
  await setCdc(stack, true);

  const ours = rate(rows, oursMs);
  const theirs = rate(rows, sinkMs);
  const ratio = ours / theirs;
  return {
    figures: {
      rows,
      ours: pathFigures(rows, oursSpan, oursStarted),
      jdbcSink: {
        ...pathFigures(rows, sinkSpan, sinkStarted),
        version: 'debezium-connector-jdbc 3.6.0.Final',
        tasks,
        config: { ...config, 'connection.password': '***' },
        topic: `${SCHEMAFUL_TOPIC} (same rows, JsonConverter schema + payload envelopes)`,
      },
      identicalRows,
      tables: { sales: oursTotals, sales_jdbc: sinkTotals },
      resultsMatch,
      ratio,
      target: SINK_TARGET,
      meetsTarget: ratio >= SINK_TARGET,
      cdc: 'paused during the part',
    },
    markdown: [
      `## sink — our consumer vs the Debezium JDBC sink connector (${fmt(rows)} sales, tables of the same shape, same run)`,
      '',
      '| path | time | rows/s |',
      '| --- | ---: | ---: |',
      `| our consumer (child process): topic \`sales\` → \`sales\`, start → last row committed | ${secs(oursMs)} | ${fmt(ours)} |`,
      `| Debezium JDBC sink 3.6.0.Final (${tasks} tasks, upsert, key sale_id): \`${SCHEMAFUL_TOPIC}\` → \`sales_jdbc\`, registration → last row committed | ${secs(sinkMs)} | ${fmt(theirs)} |`,
      '',
      `ratio ours / JDBC sink: **${ratio.toFixed(2)}** (target ≥ ${SINK_TARGET}: ${ratio >= SINK_TARGET ? 'met' : 'missed'}); ${fmt(identicalRows)} of ${fmt(rows)} rows identical in both tables; counts, distinct sale ids and sums (quantity ${fmt(sinkTotals.quantity)}, amount ${sinkTotals.amount}) ${resultsMatch ? 'the same' : `DIFFER (ours ${JSON.stringify(oursTotals)}, sink ${JSON.stringify(sinkTotals)})`}.`,
      '',
      "The sink needs a schema with each record (no converter or built-in SMT makes one from schemaless JSON), so it reads a second topic holding the same messages re-written, before timing, as JsonConverter schema + payload envelopes with the row as `sales` stores it (price and amount included: the sink does no lookup). io.debezium:debezium-connector-jdbc 3.7.0.Final is not on Maven Central (3.6.0.Final is the newest there). Debezium's source connector paused during the part.",
    ],
  };
}
