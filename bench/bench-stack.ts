import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '@sales-pipeline/platform';
import { REPO_ROOT, loadStackConfig, nativeDown, startStack, type RunningStack } from '@sales-pipeline/stack';

/**
 * A fresh native stack for one benchmark (`.stack/bench-<name>`, emptied first), so that no earlier run's
 * data or change events weigh on the figures. Stop it with `down()` at the end.
 */
export async function benchStack(name: string): Promise<RunningStack> {
  const home = path.join(REPO_ROOT, '.stack', `bench-${name}`);
  const config = loadStackConfig({ ...process.env, SALES_PIPELINE_HOME: home });
  await nativeDown(config, createLogger('bench-stack', 'warn'));
  fs.rmSync(home, { recursive: true, force: true });
  return startStack(config, createLogger('bench-stack', 'warn'));
}

/** Positive integer from the environment (benchmark sizes), with a default. */
export function sizeFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Writes `bench/results/<name>.json` and prints a markdown summary. */
export function report(name: string, result: Record<string, unknown>, markdown: string[]): void {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ ...result, measuredAt: new Date().toISOString() }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, `${name}.md`), `${markdown.join('\n')}\n`);
  process.stdout.write(`${markdown.join('\n')}\n\n(written to ${path.relative(process.cwd(), file)})\n`);
}

export const rate = (rows: number, ms: number) => Math.round((rows * 1000) / ms);
