import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test-support/cli-processes.ts';
import { clientFileArgs } from '../../test-support/client-feeds.ts';
import { eventually } from '../../test-support/eventually.ts';
import { ownPipelineEnv, ownPipelineHome } from '../../test-support/own-pipeline.ts';
import type { PipelineStatus } from '../src/pipeline/pipeline-status.ts';

/** A pipeline of its own on an empty database, with no feed configured. */
const home = ownPipelineHome('test-fresh-up');
const env = ownPipelineEnv(home);

afterAll(async () => {
  await runCli(['down', '--purge'], env, 240_000);
}, 300_000);

describe('up --detach on a fresh database, then feed it', () => {
  it('is healthy while there is nothing to do yet', async () => {
    fs.rmSync(home, { recursive: true, force: true });
    const up = await runCli(['up', '--detach'], env, 600_000);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(up.stdout).toContain('pipeline up in');
    const status = JSON.parse(
      (await runCli(['status', '--json', '--sample', '200'], env)).stdout,
    ) as PipelineStatus;
    expect(status.healthy, JSON.stringify(status, null, 2)).toBe(true);
    const workers = Object.fromEntries(status.workers.map((w) => [w.name, w.healthy]));
    expect(workers).toMatchObject({ consumer: true, analytics: true, notifier: true });
    expect(workers).not.toHaveProperty('producer'); // no feed: nothing to produce yet
  }, 660_000);

  it("takes the client's files produced afterwards through to the report", async () => {
    const produce = await runCli(['produce', ...clientFileArgs()], env);
    expect(produce.code, produce.stderr).toBe(0);
    const report = await eventually(
      async () => {
        const result = await runCli(['report', '--json'], env);
        return result.code === 0
          ? (JSON.parse(result.stdout) as {
              revenue_total: { revenue: string; units: number; sales: number };
            })
          : undefined;
      },
      (r) => r?.revenue_total.sales === 30,
      120_000,
    );
    // The client's files have no return: gross revenue is the net revenue.
    expect(report?.revenue_total).toEqual({
      units: 122,
      sales: 30,
      returns: 0,
      gross_revenue: '5268.78',
      returns_revenue: '0.00',
      revenue: '5268.78',
    });
  }, 180_000);
});
