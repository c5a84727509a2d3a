import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readStateFile } from '@sales-pipeline/platform/state-file';
import type { StackEndpoints } from '@sales-pipeline/stack';

/** One worker process the supervisor runs. */
export interface WorkerRecord {
  name: WorkerName;
  pid?: number | undefined;
  /** Port of its /metrics and /healthz (the simulator has none). */
  metricsPort?: number | undefined;
  logFile: string;
  startedAt: string;
  restarts: number;
  /** Set when the supervisor gave up restarting it (a configuration error, or a crash loop). */
  failed?: string;
  lastExit?: { code: number | null; signal: string | null; at: string };
}

export type WorkerName =
  'consumer' | 'analytics' | 'notifier' | 'producer' | 'ingest' | 'simulator' | 'dashboard';

/** What `up` is running, in `<home>/pipeline.json`: read by `status` and `down`. */
export interface PipelineState {
  supervisorPid: number;
  /** The stack the workers run on: `status` checks that one. */
  mode: 'native' | 'docker' | 'external';
  /** The stack's endpoints (no password): how `status` reaches a Docker stack. */
  endpoints?: StackEndpoints;
  demo: boolean;
  startedAt: string;
  feeds: { sales?: string; products?: string; stores?: string };
  workers: Partial<Record<WorkerName, WorkerRecord>>;
}

export const pipelineStateFile = (home: string) => path.join(home, 'pipeline.json');

const workerNames = [
  'consumer',
  'analytics',
  'notifier',
  'producer',
  'ingest',
  'simulator',
  'dashboard',
] as const;
const workerRecordSchema = z.object({
  name: z.enum(workerNames),
  pid: z.number().int().positive().optional(),
  metricsPort: z.number().int().positive().optional(),
  logFile: z.string(),
  startedAt: z.string(),
  restarts: z.number().int().min(0),
  failed: z.string().optional(),
  lastExit: z
    .object({ code: z.number().int().nullable(), signal: z.string().nullable(), at: z.string() })
    .optional(),
});
const pipelineStateSchema = z.object({
  supervisorPid: z.number().int().positive(),
  mode: z.enum(['native', 'docker', 'external']),
  endpoints: z
    .object({ databaseUrl: z.string(), kafkaBrokers: z.string(), connectUrl: z.string() })
    .optional(),
  demo: z.boolean(),
  startedAt: z.string(),
  feeds: z.object({
    sales: z.string().optional(),
    products: z.string().optional(),
    stores: z.string().optional(),
  }),
  workers: z.partialRecord(z.enum(workerNames), workerRecordSchema),
});

/** The running pipeline's state; undefined when none was started here. A damaged file is an error. */
export function readPipelineState(home: string): PipelineState | undefined {
  return readStateFile(
    pipelineStateFile(home),
    pipelineStateSchema,
    'If no supervisor runs any more (ps, or sales-pipeline down), delete the file and start again with up.',
  );
}

/** Written whole to a temporary file then renamed: a reader never sees half of it. */
export function writePipelineState(home: string, state: PipelineState): void {
  const file = pipelineStateFile(home);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

export function removePipelineState(home: string): void {
  fs.rmSync(pipelineStateFile(home), { force: true });
}
