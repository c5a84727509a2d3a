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
