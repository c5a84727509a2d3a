import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'sales-pipeline.js');

/** Runs the compiled CLI with its stdout a pipe that the reader has already closed, as `| head -c 0` does. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SALES_PIPELINE_HOME: path.join(os.tmpdir(), 'sales-pipeline-no-stack-here') },
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('writing to a closed pipe', () => {
  it.each([[['--help']], [['stack', 'status', '--json']]])(
    '`sales-pipeline %s` ends quietly with exit 141, as Unix tools do',
    async (args) => {
      const { code, stderr } = await runWithClosedStdout(args);
      expect(stderr).toBe('');
      expect(code).toBe(141);
    },
  );
});

describe('--help', () => {
  it('lists the exit codes of the program and of each command', async () => {
    const help = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'status', '--help'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', () => resolve(out));
    });
    expect(help).toMatch(/Exit codes:/);
    expect(help).toMatch(/1\s+something is not healthy/);
    expect(help).toMatch(/2\s+configuration error/);
  });
});

describe('wrong usage', () => {
  it('exits 2, like a configuration error', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'status', '--no-such-option'], { stdio: 'ignore' });
      child.once('exit', resolve);
    });
    expect(code).toBe(2);
  });
});
