import path from 'node:path';
import { InvalidArgumentError } from 'commander';

/**
 * What the command definitions need before any command runs. This module, like every file under
 * commands/, imports nothing but commander and Node's own modules: `--help` and the choice of a command
 * load no client library. Each command loads what it uses when it runs.
 */

/** The client's files shipped with the repository (cli/src or cli/dist → ../../data/pme). */
export const CLIENT_DATA_DIR = path.resolve(import.meta.dirname, '..', '..', 'data', 'pme');

/** Simulated sales per second of `up --demo` unless `--rate` says otherwise. */
export const DEFAULT_DEMO_RATE = 20;

/** A commander argument parser for a positive number; names the option in its error. */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

/** The exit codes every command shares. */
const COMMON_EXIT_CODES: [number, string][] = [
  [0, 'success'],
  [1, 'failure: the error is printed with what to do'],
  [2, 'configuration error or wrong usage: the message names the setting or option'],
  [130, 'stopped by a second Ctrl-C (the first one stops in order)'],
  [141, 'stdout was closed by its reader (e.g. piped into head), as Unix tools do'],
];

/** What exit code 1 means for the commands where it means more than "it failed". */
const COMMAND_EXIT_CODES: Record<string, [number, string][]> = {
  status: [[1, 'something is not healthy (the output says what)']],
  'stack status': [[1, 'a component is not healthy or the stack is not running']],
  'stack env': [[1, 'no native stack is running here']],
  reconcile: [[1, 'an aggregate differs from its recomputation (each difference is printed)']],
  up: [[1, 'with --detach: not every worker was healthy within --health-timeout']],
  produce: [[2, 'also: a feed whose header is not the expected one (nothing of it can be read)']],
};

/** The "Exit codes:" help section of a command (`name` as typed: `status`, `stack status`). */
export function exitCodesHelp(name: string): string {
  const codes = new Map(COMMON_EXIT_CODES);
  for (const [code, meaning] of COMMAND_EXIT_CODES[name] ?? []) codes.set(code, meaning);
  const lines = [...codes]
    .sort(([a], [b]) => a - b)
    .map(([code, meaning]) => `  ${String(code).padEnd(4)} ${meaning}`);
  return `\nExit codes:\n${lines.join('\n')}`;
}
