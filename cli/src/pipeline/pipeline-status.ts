import fs from 'node:fs';
import pg from 'pg';
import { createKafka, createLogger, type Env } from '@sales-pipeline/platform';
import {
  CDC_SLOT_NAME,
  connectorState,
  endpointStatus,
  isAlive,
  nativeStatus,
  type StackConfig,
  type StackStatus,
} from '@sales-pipeline/stack';
import { pendingWarning } from '@sales-pipeline/consumer/overdue-pending';
import { readDashboardRecord } from '@sales-pipeline/dashboard/dashboard-record';
import { readPipelineState, type WorkerName } from './pipeline-state.ts';

export interface WorkerStatus {
  name: WorkerName;
  pid: number | null;
  alive: boolean;
  /** /healthz answered 200 (true), another status (false), or the worker serves none (null). */
  healthy: boolean | null;
  metricsUrl: string | null;
  restarts: number;
  failed: string | null;
  /** Rows (or lines, changes, posts) per second over the sampling interval. */
  ratePerSecond: number | null;
  lastError: { at: string; message: string } | null;
  logFile: string;
  /** The topics a healthy worker still waits for (analytics, before the first change of a table). */
  waitingFor?: string[];
}

/** The shape of `sales-pipeline status --json` (documented in the README). */
export interface PipelineStatus {
  healthy: boolean;
  checkedAt: string;
  mode: StackStatus['mode'];
  endpoints: StackStatus['endpoints'];
  components: StackStatus['components'];
  supervisor: { pid: number; alive: boolean; demo: boolean; startedAt: string } | null;
  workers: WorkerStatus[];
  connector: { name: string; state: string; tasks: Array<{ id: number; state: string }> } | null;
  replicationSlot: { name: string; active: boolean; lagBytes: number } | null;
  consumerLag: Array<{ group: string; topic: string; lag: number }>;
  totals: {
    sales: number;
    pendingSales: number;
    rejectedRows: number;
    revenue: string;
    milestones: number;
  } | null;
  lastMilestones: Array<{ rule: string; subject: string; step: string; status: string; detectedAt: string }>;
  /** The web dashboard serving this pipeline (`up` starts it; `sales-pipeline dashboard` too), if one runs. */
  dashboard?: { url: string; pid: number } | null;
  errors: string[];
}

/** The counter that tells each worker's throughput. */
const RATE_METRIC: Partial<Record<WorkerName, { name: string; filter?: string }>> = {
  producer: { name: 'producer_lines_read_total' },
  consumer: { name: 'consumer_rows_applied_total', filter: 'kind="sale"' },
  analytics: { name: 'analytics_changes_total', filter: 'outcome="applied"' },
  notifier: { name: 'notifier_milestones_recorded_total' },
};

/**
 * The rate a worker reports in its /healthz body (`ratePerSecond`: a number, or null before it has two
 * readings); undefined when the body has none. Pure.
 */
export function reportedRate(healthzBody: string | undefined): number | null | undefined {
  if (!healthzBody) return undefined;
  try {
    const body = JSON.parse(healthzBody) as { ratePerSecond?: unknown };
    if (body.ratePerSecond === null) return null;
    return typeof body.ratePerSecond === 'number' ? body.ratePerSecond : undefined;
  } catch {
    return undefined;
  }
}

/** Sums the samples of one counter in a Prometheus text exposition. Pure. */
export function sumCounter(text: string, name: string, filter?: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (filter && !line.includes(filter)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** What a worker's /healthz body says it waits for (`{"ok":true,"detail":{"waitingFor":[…]}}`). Pure. */
export function waitingFor(healthzBody: string | undefined): { waitingFor?: string[] } {
  try {
    const body = JSON.parse(healthzBody ?? '') as { detail?: { waitingFor?: unknown } };
    const topics = body.detail?.waitingFor;
    return Array.isArray(topics) && topics.length > 0 ? { waitingFor: topics.map(String) } : {};
  } catch {
    return {};
  }
}

/** The last error a worker logged (pino JSON lines, level ≥ 50), read from the end of its log. Pure. */
export function lastLoggedError(logTail: string): { at: string; message: string } | null {
  const lines = logTail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (!line.startsWith('{')) {
      if (line.startsWith('sales-pipeline: ')) return { at: '', message: line.slice(16) };
      continue;
    }
    try {
      const entry = JSON.parse(line) as {
        level?: number;
        time?: number;
        msg?: string;
        err?: { message?: string };
      };
      if ((entry.level ?? 0) >= 50) {
        const message = [entry.msg, entry.err?.message].filter(Boolean).join(': ');
        return { at: entry.time ? new Date(entry.time).toISOString() : '', message };
      }
    } catch {
      // a line cut by the tail window
    }
  }
  return null;
}

function readTail(file: string, bytes = 65_536): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const { size } = fs.fstatSync(fd);
      const buffer = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

async function fetchText(url: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, text: await response.text() };
  } catch {
    return undefined;
  }
}

type StoredOffset = { consumer_group: string; topic: string; kafka_partition: number; next_offset: string };

async function readConnector(connectUrl: string, errors: string[]): Promise<PipelineStatus['connector']> {
  try {
    const c = await connectorState(connectUrl);
    return { name: c.name, state: c.state, tasks: c.tasks.map((t) => ({ id: t.id, state: t.state })) };
  } catch (error) {
    errors.push(`connector: ${(error as Error).message}`);
    return null;
  }
}

/** The replication slot, the totals, the last milestones and the stored offsets, in one connection. */
async function readDatabase(env: Env, errors: string[]) {
  let replicationSlot: PipelineStatus['replicationSlot'] = null;
  let totals: PipelineStatus['totals'] = null;
  let lastMilestones: PipelineStatus['lastMilestones'] = [];
  let stored: StoredOffset[] = [];
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const slot = await client.query<{ active: boolean; lag: string | null }>(
        `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag
           FROM pg_replication_slots WHERE slot_name = $1`,
        [CDC_SLOT_NAME],
      );
      const s = slot.rows[0];
      if (s) replicationSlot = { name: CDC_SLOT_NAME, active: s.active, lagBytes: Number(s.lag ?? 0) };
      const t = await client.query<{
        sales: string;
        pending: string;
        rejected: string;
        revenue: string;
        milestones: string;
      }>(
        `SELECT (SELECT count(*) FROM sales) AS sales,
                (SELECT count(*) FROM sales WHERE status = 'pending') AS pending,
                (SELECT count(*) FROM rejected_rows) AS rejected,
                (SELECT revenue::text FROM analytics.revenue_total WHERE id = 1) AS revenue,
                (SELECT count(*) FROM milestones) AS milestones`,
      );
      const row = t.rows[0];
      if (row)
        totals = {
          sales: Number(row.sales),
          pendingSales: Number(row.pending),
          rejectedRows: Number(row.rejected),
          revenue: row.revenue ?? '0.00',
          milestones: Number(row.milestones),
        };
      // A sale pending for longer than PENDING_ALERT_AFTER: a warning (it does not make the pipeline unhealthy).
      const overdue = await pendingWarning(client, env);
      if (overdue) errors.push(`warning: ${overdue}`);
      const m = await client.query<{
        rule: string;
        subject: string;
        step: string;
        status: string;
        detected_at: Date;
      }>(
        `SELECT rule, subject, step::text, status, detected_at FROM milestones ORDER BY milestone_id DESC LIMIT 5`,
      );
      lastMilestones = m.rows.map((r) => ({
        rule: r.rule,
        subject: r.subject,
        step: r.step,
        status: r.status,
        detectedAt: r.detected_at.toISOString(),
      }));
      stored = (
        await client.query('SELECT consumer_group, topic, kafka_partition, next_offset FROM consumer_offsets')
      ).rows;
    } catch (error) {
      errors.push(`database: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  return { replicationSlot, totals, lastMilestones, stored };
}

/** Lag per group and topic: the topics' ends against the offsets stored in PostgreSQL. */
async function readConsumerLag(
  kafkaBrokers: string,
  stored: StoredOffset[],
  errors: string[],
): Promise<PipelineStatus['consumerLag']> {
  const consumerLag: PipelineStatus['consumerLag'] = [];
  {
    const kafka = createKafka({
      clientId: 'sales-pipeline-status',
      brokers: kafkaBrokers.split(','),
      logger: createLogger('status', 'error'),
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const ends = new Map<string, Map<number, bigint>>();
      for (const topic of new Set(stored.map((s) => s.topic))) {
        const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
        ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
      }
      const lag = new Map<string, { group: string; topic: string; lag: bigint }>();
      for (const s of stored) {
        const end = ends.get(s.topic)?.get(s.kafka_partition);
        if (end === undefined) continue;
        const key = `${s.consumer_group}\u0000${s.topic}`;
        const entry = lag.get(key) ?? { group: s.consumer_group, topic: s.topic, lag: 0n };
        const behind = end - BigInt(s.next_offset);
        entry.lag += behind > 0n ? behind : 0n;
        lag.set(key, entry);
      }
      for (const entry of lag.values()) consumerLag.push({ ...entry, lag: Number(entry.lag) });
    } catch (error) {
      errors.push(`kafka: ${(error as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  return consumerLag;
}

/**
 * Everything `status` reports: the stack's components, each worker's health, rate and last error, the
 * connector, the replication slot's lag, the consumer groups' lag (offsets stored in PostgreSQL against
 * the topics' ends), totals and the last milestones. Samples the workers' counters twice, `sampleMs`
 * apart, for the rates.
 */
export async function collectStatus(
  config: StackConfig,
  env: Env,
  options: { sampleMs: number },
): Promise<PipelineStatus> {
  const state = readPipelineState(config.home);
  const errors: string[] = [];
  const records = Object.values(state?.workers ?? {}).filter((r) => r !== undefined);
  // Everything that does not depend on the rate sample runs while it is taken: `status` answers in
  // about the sample's time, not the sum of every round trip.
  // The stack the pipeline runs on: a Docker stack is known by the endpoints `up --docker` recorded.
  const stackRead =
    state?.mode === 'docker' && state.endpoints
      ? endpointStatus('docker', config.home, state.endpoints)
      : nativeStatus(config);
  const connectorRead = stackRead.then((stack) =>
    stack.endpoints ? readConnector(stack.endpoints.connectUrl, errors) : null,
  );
  const databaseRead = readDatabase(env, errors);
  const lagRead = Promise.all([stackRead, databaseRead]).then(([stack, database]) =>
    stack.endpoints && database.stored.length > 0
      ? readConsumerLag(stack.endpoints.kafkaBrokers, database.stored, errors)
      : [],
  );
  const sample = async () =>
    new Map(
      await Promise.all(
        records.map(async (r) => {
          const metric = RATE_METRIC[r.name];
          if (!metric || !r.metricsPort || r.pid === undefined || !isAlive(r.pid))
            return [r.name, undefined] as const;
          const answer = await fetchText(`http://127.0.0.1:${r.metricsPort}/metrics`);
          return [r.name, answer ? sumCounter(answer.text, metric.name, metric.filter) : undefined] as const;
        }),
      ),
    );
  // Each worker's /healthz, which carries the rate the worker keeps itself (over its last 10 s). Only a
  // worker that does not report one (an older one) is sampled twice, `sampleMs` apart.
  const health = new Map(
    await Promise.all(
      records.map(async (r) => {
        const alive = r.pid !== undefined && isAlive(r.pid);
        const answer =
          alive && r.metricsPort ? await fetchText(`http://127.0.0.1:${r.metricsPort}/healthz`) : undefined;
        return [r.name, { alive, answer, rate: reportedRate(answer?.text) }] as const;
      }),
    ),
  );
  const unreported = records.filter((r) => {
    const h = health.get(r.name);
    return RATE_METRIC[r.name] && h?.alive && h.answer && h.rate === undefined;
  });
  let sampled = new Map<WorkerName, number | null>();
  if (unreported.length > 0) {
    const first = await sample();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, options.sampleMs));
    const second = await sample();
    const elapsed = (performance.now() - started) / 1000;
    sampled = new Map(
      records.map((r) => {
        const a = first.get(r.name);
        const b = second.get(r.name);
        return [r.name, a !== undefined && b !== undefined ? (b - a) / elapsed : null] as const;
      }),
    );
  }
  const [stack, connector, { replicationSlot, totals, lastMilestones }, consumerLag] = await Promise.all([
    stackRead,
    connectorRead,
    databaseRead,
    lagRead,
  ]);

  const workers: WorkerStatus[] = records.map((r) => {
    const { alive, answer, rate } = health.get(r.name) ?? {
      alive: false,
      answer: undefined,
      rate: undefined,
    };
    const healthy = r.metricsPort ? answer?.status === 200 : alive;
    const perSecond = rate !== undefined ? rate : (sampled.get(r.name) ?? null);
    return {
      name: r.name,
      pid: alive ? (r.pid ?? null) : null,
      alive,
      healthy,
      metricsUrl: r.metricsPort ? `http://127.0.0.1:${r.metricsPort}/metrics` : null,
      restarts: r.restarts,
      failed: r.failed ?? null,
      ratePerSecond: perSecond === null ? null : Math.round(perSecond * 10) / 10,
      lastError: lastLoggedError(readTail(r.logFile)),
      logFile: r.logFile,
      ...waitingFor(answer?.text),
    };
  });

  const supervisor = state
    ? {
        pid: state.supervisorPid,
        alive: isAlive(state.supervisorPid),
        demo: state.demo,
        startedAt: state.startedAt,
      }
    : null;
  const healthy =
    stack.healthy &&
    workers.every((w) => w.healthy !== false && w.failed === null) &&
    (connector === null || connector.state === 'RUNNING') &&
    (supervisor === null || supervisor.alive);
  return {
    healthy,
    checkedAt: new Date().toISOString(),
    mode: stack.mode,
    endpoints: stack.endpoints,
    components: stack.components,
    supervisor,
    workers,
    connector,
    replicationSlot,
    consumerLag: consumerLag.sort((a, b) => (a.group + a.topic < b.group + b.topic ? -1 : 1)),
    totals,
    lastMilestones,
    dashboard: ((d) => (d ? { url: d.url, pid: d.pid } : null))(readDashboardRecord(config.home)),
    errors,
  };
}
