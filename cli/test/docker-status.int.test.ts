import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '@sales-pipeline/stack';
import { writePipelineState, type PipelineState } from '../src/pipeline/pipeline-state.ts';
import type { PipelineStatus } from '../src/pipeline/pipeline-status.ts';
import { runCli } from '../../test-support/cli-processes.ts';

/**
 * `up --docker` records the mode and the containers' endpoints in pipeline.json. Without Docker here, the
 * recorded endpoints are those of the (native) test stack: status must check them, not the native stack
 * of its home (there is none).
 */
const homes: string[] = [];
afterAll(() => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

function dockerHome(endpoints: PipelineState['endpoints']): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-docker-status-'));
  homes.push(home);
  writePipelineState(home, {
    supervisorPid: process.pid,
    mode: 'docker',
    endpoints,
    demo: false,
    startedAt: new Date().toISOString(),
    feeds: {},
    workers: {},
  });
  return home;
}

async function status(home: string): Promise<{ code: number | null; json: PipelineStatus }> {
  const result = await runCli(['status', '--json', '--sample', '100'], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SALES_PIPELINE_HOME: home,
    LOG_LEVEL: 'warn',
  });
  return { code: result.code, json: JSON.parse(result.stdout) as PipelineStatus };
}

describe('status of a pipeline on the Docker stack', () => {
  it('reports the components at the endpoints up --docker recorded', async () => {
    const { endpoints } = inject('stack');
    const { code, json } = await status(dockerHome(endpoints));
    expect(json.mode).toBe('docker');
    expect(json.endpoints).toEqual(endpoints);
    expect(json.components.map((c) => [c.name, c.healthy])).toEqual([
      ['postgres', true],
      ['kafka', true],
      ['connect', true],
      ['connector', true],
    ]);
    expect(json.connector?.state).toBe('RUNNING');
    expect(json.healthy, JSON.stringify(json, null, 2)).toBe(true);
    expect(code).toBe(0);
    expect(JSON.stringify(json)).not.toMatch(/password|:[^/@:]+@127/i);
  });

  it('says which component does not answer', async () => {
    const [pg, kafka, connect] = [await freePort(), await freePort(), await freePort()];
    const { code, json } = await status(
      dockerHome({
        databaseUrl: `postgres://sales_app@127.0.0.1:${pg}/sales`,
        kafkaBrokers: `127.0.0.1:${kafka}`,
        connectUrl: `http://127.0.0.1:${connect}`,
      }),
    );
    expect(json.mode).toBe('docker');
    expect(json.components.map((c) => [c.name, c.healthy])).toEqual([
      ['postgres', false],
      ['kafka', false],
      ['connect', false],
      ['connector', false],
    ]);
    expect(json.components[0]?.detail).toMatch(/^not answering: .*ECONNREFUSED/);
    expect(json.healthy).toBe(false);
    expect(code).toBe(1);
  });
});
