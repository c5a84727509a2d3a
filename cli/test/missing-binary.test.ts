import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '@sales-pipeline/stack';
import { runCli } from '../../test-support/cli-processes.ts';

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sp-missing-'));
}

/** A directory holding only links to the named programs, to stand for a PATH where others are missing. */
function pathWith(...programs: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-path-'));
  for (const program of programs) {
    const real = findExecutable(program, process.env.PATH ?? '');
    if (!real) throw new Error(`${program} must be installed for this test`);
    fs.symlinkSync(real, path.join(dir, program));
  }
  return dir;
}

function expectOneClearMessage(stderr: string, ...needles: string[]) {
  for (const needle of needles) expect(stderr).toContain(needle);
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
}

describe('stack up with a program missing', () => {
  it('names java and how to install it when java is missing', async () => {
    const result = await runCli(['stack', 'up'], { PATH: pathWith('mvn'), SALES_PIPELINE_HOME: tempHome() });
    expect(result.code).toBe(1);
    expectOneClearMessage(result.stderr, 'java was not found', 'Install a JDK 17');
  });

  it('names mvn and how to install it when Maven is missing', async () => {
    const result = await runCli(['stack', 'up'], { PATH: pathWith('java'), SALES_PIPELINE_HOME: tempHome() });
    expect(result.code).toBe(1);
    expectOneClearMessage(result.stderr, 'mvn was not found', 'apt-get install maven');
  });

  it('names the PostgreSQL server binaries when PG_BIN_DIR does not hold them', async () => {
    const result = await runCli(['stack', 'up'], {
      PATH: pathWith('java', 'mvn'),
      PG_BIN_DIR: '/nonexistent/postgresql/bin',
      SALES_PIPELINE_HOME: tempHome(),
    });
    expect(result.code).toBe(1);
    expectOneClearMessage(
      result.stderr,
      'PG_BIN_DIR=/nonexistent/postgresql/bin',
      'apt-get install postgresql',
    );
  });

  it('starts nothing when a program is missing', async () => {
    const home = tempHome();
    await runCli(['stack', 'up'], { PATH: pathWith('mvn'), SALES_PIPELINE_HOME: home });
    expect(fs.readdirSync(home)).toEqual([]);
  });
});

describe('a wrong configuration value', () => {
  it('fails with exit code 2 and lists every invalid key', async () => {
    const result = await runCli(['stack', 'status'], {
      PATH: process.env.PATH,
      STACK_JVM_HEAP_MB: 'lots',
      STACK_START_TIMEOUT_MS: '-5',
      SALES_PIPELINE_HOME: tempHome(),
    });
    expect(result.code).toBe(2);
    expectOneClearMessage(
      result.stderr,
      'STACK_JVM_HEAP_MB',
      'STACK_START_TIMEOUT_MS',
      'invalid configuration',
    );
  });
});
