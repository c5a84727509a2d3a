import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sales-pipeline/stack';
import { processesUsing } from '../../test-support/processes.ts';
import { runCli } from '../../test-support/cli-processes.ts';

const cacheDir = process.env.SALES_PIPELINE_CACHE ?? path.join(os.homedir(), '.cache', 'sales-pipeline');
const homes: string[] = [];

function envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SALES_PIPELINE_HOME: home,
    SALES_PIPELINE_CACHE: cacheDir,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

afterAll(async () => {
  for (const home of homes) {
    await runCli(['stack', 'down'], envFor(home), 240_000);
    fs.rmSync(home, { recursive: true, force: true });
  }
}, 300_000);

describe.runIf(process.getuid?.() === 0)('stack up in a private home directory, run as root', () => {
  it('refuses at once, naming the directory and the fix, and leaves nothing running', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-private-')); // mode 0700, like mktemp -d
    homes.push(home);
    const result = await runCli(['stack', 'up'], envFor(home), 240_000);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toContain(`cannot enter ${home} (mode 0700)`);
    expect(result.stderr).toContain(`chmod o+x ${home}`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(processesUsing(home)).toEqual([]);
  }, 300_000);
});

describe('a stack up that fails midway', () => {
  it('stops what it had started: no process of the stack is left running', async () => {
    // A jar cache whose Connect plugin folder lacks Debezium: PostgreSQL and the broker start, then
    // Connect comes up without the connector plugin, a failure waiting cannot mend.
    const pom = fs.readFileSync(path.join(REPO_ROOT, 'stack', 'pom.xml'));
    const digest = crypto.createHash('sha256').update(pom).digest('hex').slice(0, 12);
    const realJars = path.join(cacheDir, `jars-${digest}`);
    expect(fs.existsSync(path.join(realJars, '.complete')), 'the jar cache must be resolved').toBe(true);
    const brokenCache = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-cache-'));
    homes.push(brokenCache);
    const brokenJars = path.join(brokenCache, `jars-${digest}`);
    fs.mkdirSync(path.join(brokenJars, 'plugins'), { recursive: true });
    fs.symlinkSync(path.join(realJars, 'lib'), path.join(brokenJars, 'lib'));
    fs.writeFileSync(path.join(brokenJars, '.complete'), 'test');

    const home = path.join(REPO_ROOT, '.stack', 'test-failed-up');
    fs.rmSync(home, { recursive: true, force: true });
    homes.push(home);
    const result = await runCli(
      ['stack', 'up'],
      envFor(home, { SALES_PIPELINE_CACHE: brokenCache }),
      600_000,
    );
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toContain('does not list io.debezium.connector.postgresql.PostgresConnector');
    // It got as far as starting the database and the broker…
    expect(fs.existsSync(path.join(home, 'postgres', 'data', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(home, 'kafka', 'data', 'meta.properties'))).toBe(true);
    // …and stopped them again.
    expect(processesUsing(home)).toEqual([]);
  }, 600_000);
});
