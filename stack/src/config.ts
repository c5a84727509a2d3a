import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseConfig, positiveIntSchema, type Env } from '@sales-pipeline/platform';

/** The clone's root: `stack/src/config.ts` → `../..`. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const schema = z.object({
  /** SALES_PIPELINE_HOME: where the native stack keeps its data, logs and state. Default `.stack/` in the clone. */
  SALES_PIPELINE_HOME: z.string().min(1).optional(),
  /** SALES_PIPELINE_CACHE: where the Maven-resolved jars are kept. Default `~/.cache/sales-pipeline`. */
  SALES_PIPELINE_CACHE: z.string().min(1).optional(),
  /** PG_BIN_DIR: directory holding initdb/pg_ctl/postgres. Default: the newest /usr/lib/postgresql/<v>/bin, then PATH. */
  PG_BIN_DIR: z.string().min(1).optional(),
  /** STACK_JVM_HEAP_MB: -Xmx of each JVM (broker, Connect), in MiB. Default 512. */
  STACK_JVM_HEAP_MB: positiveIntSchema(512),
  /** STACK_START_TIMEOUT_MS: how long each component may take to become healthy. Default 120000. */
  STACK_START_TIMEOUT_MS: positiveIntSchema(120_000),
  /** STACK_STOP_TIMEOUT_MS: how long a component may take to stop before it is killed. Default 30000. */
  STACK_STOP_TIMEOUT_MS: positiveIntSchema(30_000),
  /**
   * STACK_SECURE: `1` (or `stack up --secure`, `up --secure`) starts a new native stack secured: the
   * broker's client listener SASL_SSL with SCRAM-SHA-512 and the stack's own CA. Fixed at its first start.
   */
  STACK_SECURE: z.enum(['0', '1', 'true', 'false']).optional(),
});

export interface StackConfig {
  home: string;
  cacheDir: string;
  pgBinDir: string | undefined;
  jvmHeapMb: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** PATH used to find java, mvn and the PostgreSQL binaries. */
  searchPath: string;
  /** JAVA_HOME, when set: its bin/java is preferred over PATH. */
  javaHome: string | undefined;
  /** Whether the launcher runs as root (PostgreSQL must then run as the `postgres` user). */
  runningAsRoot: boolean;
  /** Environment given to the JVMs: PATH, HOME, LANG and JAVA_HOME only, no secret of ours. */
  childEnv: NodeJS.ProcessEnv;
  /** A new stack is secured (STACK_SECURE); an existing one keeps what it was started as. */
  secure: boolean;
}

/** Reads and validates the launcher's configuration once. */
export function loadStackConfig(env: Env = process.env): StackConfig {
  const raw = parseConfig(schema, env);
  const cacheRoot = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return {
    home: path.resolve(raw.SALES_PIPELINE_HOME ?? path.join(REPO_ROOT, '.stack')),
    cacheDir: path.resolve(raw.SALES_PIPELINE_CACHE ?? path.join(cacheRoot, 'sales-pipeline')),
    pgBinDir: raw.PG_BIN_DIR,
    jvmHeapMb: raw.STACK_JVM_HEAP_MB,
    startTimeoutMs: raw.STACK_START_TIMEOUT_MS,
    stopTimeoutMs: raw.STACK_STOP_TIMEOUT_MS,
    searchPath: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    javaHome: env.JAVA_HOME || undefined,
    runningAsRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    secure: raw.STACK_SECURE === '1' || raw.STACK_SECURE === 'true',
    childEnv: Object.fromEntries(
      ['PATH', 'HOME', 'LANG', 'JAVA_HOME'].flatMap((key) => (env[key] ? [[key, env[key]]] : [])),
    ),
  };
}
