import type pg from 'pg';
import { connectorState, type RunningStack } from '@sales-pipeline/stack';
import { waitForRows } from '../../lib/part.ts';
import { SCHEMAFUL_TOPIC } from './schemaful-copy.ts';

const SINK_CONNECTOR = 'bench-jdbc-sink';
export const SINK_TASKS = 3;

/** The Debezium JDBC sink, `sales.schemaful` → `sales_jdbc`: upsert on sale_id, 3 tasks. */
export function jdbcSinkConfig(stack: RunningStack): Record<string, string> {
  const dbUrl = new URL(stack.secrets.databaseUrl);
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': String(SINK_TASKS),
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
}

/** Registers the sink with the stack's Kafka Connect (it starts at once). */
export async function registerJdbcSink(stack: RunningStack, config: Record<string, string>): Promise<void> {
  const response = await fetch(`${stack.endpoints.connectUrl}/connectors/${SINK_CONNECTOR}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(60_000),
  });
  if (!response.ok)
    throw new Error(`Connect refused the JDBC sink: ${response.status} ${await response.text()}`);
}

/**
 * Waits until `sales_jdbc` holds `rows` rows, counting only once pg_stat_user_tables shows 90 % of the
 * inserts; a FAILED task of the sink fails the wait with its trace.
 */
export async function waitForJdbcSink(stack: RunningStack, db: pg.Client, rows: number): Promise<void> {
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
}

export async function deleteJdbcSink(stack: RunningStack): Promise<void> {
  await fetch(`${stack.endpoints.connectUrl}/connectors/${SINK_CONNECTOR}`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(60_000),
  });
}
