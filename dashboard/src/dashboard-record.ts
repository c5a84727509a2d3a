import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a running dashboard says it is: `<SALES_PIPELINE_HOME>/dashboard.json`, written when it listens
 * and removed when it stops. Read by `sales-pipeline status` (its `dashboard.url`).
 */
export interface DashboardRecord {
  pid: number;
  url: string;
  startedAt: string;
}

export const dashboardRecordFile = (home: string) => path.join(home, 'dashboard.json');

export function writeDashboardRecord(home: string, record: DashboardRecord): void {
  fs.mkdirSync(home, { recursive: true });
  const file = dashboardRecordFile(home);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** The record of a dashboard whose process is alive, or undefined. */
export function readDashboardRecord(home: string): DashboardRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(dashboardRecordFile(home), 'utf8')) as DashboardRecord;
    process.kill(record.pid, 0);
    return record;
  } catch {
    return undefined;
  }
}

/** Removes the record if it is this process's. */
export function removeDashboardRecord(home: string, pid = process.pid): void {
  try {
    const record = JSON.parse(fs.readFileSync(dashboardRecordFile(home), 'utf8')) as DashboardRecord;
    if (record.pid === pid) fs.rmSync(dashboardRecordFile(home), { force: true });
  } catch {
    // none
  }
}

/**
 * The record of a dashboard started at or after `since` (ms), once it appears; undefined if none does
 * within `timeoutMs` or `signal` aborts. (`up` prints the URL this way once its dashboard listens.)
 */
export async function waitForDashboardRecord(
  home: string,
  options: { since: number; signal?: AbortSignal; timeoutMs?: number },
): Promise<DashboardRecord | undefined> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (!options.signal?.aborted && Date.now() < deadline) {
    const record = readDashboardRecord(home);
    if (record && Date.parse(record.startedAt) >= options.since - 1000) return record;
    await new Promise((resolve) => setTimeout(resolve, 250).unref());
  }
  return undefined;
}
