import fs from 'node:fs';
import path from 'node:path';
import type { StackEndpoints } from '@sales-pipeline/stack';

/** One worker process the supervisor runs. */
export interface WorkerRecord {
  name: WorkerName;
  pid: number | undefined;
  /** Port of its /metrics and /healthz (the simulator has none). */
  metricsPort: number | undefined;
  logFile: string;
  startedAt: string;
  restarts: number;
  /** Set when the supervisor gave up restarting it (a configuration error, or a crash loop). */
  failed?: string;
  lastExit?: { code: number | null; signal: string | null; at: string };
}

export type WorkerName = 'consumer' | 'analytics' | 'notifier' | 'producer' | 'simulator' | 'dashboard';

/** What `up` is running, in `<home>/pipeline.json`: read by `status` and `down`. */
export interface PipelineState {
  supervisorPid: number;
  /** The stack the workers run on: `status` checks that one. */
  mode: 'native' | 'docker';
  /** The stack's endpoints (no password): how `status` reaches a Docker stack. */
  endpoints?: StackEndpoints;
  demo: boolean;
  startedAt: string;
  feeds: { sales?: string; products?: string; stores?: string };
  workers: Partial<Record<WorkerName, WorkerRecord>>;
}

export const pipelineStateFile = (home: string) => path.join(home, 'pipeline.json');

export function readPipelineState(home: string): PipelineState | undefined {
  try {
    return JSON.parse(fs.readFileSync(pipelineStateFile(home), 'utf8')) as PipelineState;
  } catch {
    return undefined;
  }
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
