import fs from 'node:fs';
import path from 'node:path';
import { MissingPrerequisiteError } from '@sales-pipeline/platform';
import type { StackConfig } from './config.ts';

/** Paths of the programs the native stack needs. */
export interface Prerequisites {
  java: string;
  mvn: string;
  /** Directory holding initdb, pg_ctl and postgres. */
  pgBinDir: string;
  /** `runuser`, when running as root (PostgreSQL refuses to run as root). */
  runuser: string | undefined;
}

const POSTGRES_HINT =
  'Install the PostgreSQL server binaries (Debian/Ubuntu: `sudo apt-get install postgresql`), ' +
  'or point PG_BIN_DIR at the directory holding initdb, pg_ctl and postgres.';
const JAVA_HINT =
  'Install a JDK 17 or newer (Debian/Ubuntu: `sudo apt-get install openjdk-17-jdk-headless`), or set JAVA_HOME.';
const MVN_HINT =
  'Install Apache Maven (Debian/Ubuntu: `sudo apt-get install maven`); it fetches Kafka and Debezium from Maven Central.';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Looks `name` up in a PATH-style list of directories. */
export function findExecutable(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The newest `/usr/lib/postgresql/<major>/bin` holding initdb, if any. */
function debianPgBinDir(root = '/usr/lib/postgresql'): string | undefined {
  let versions: string[];
  try {
    versions = fs.readdirSync(root);
  } catch {
    return undefined;
  }
  return versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'))
    .find((dir) => isExecutable(path.join(dir, 'initdb')));
}

function resolvePgBinDir(config: StackConfig): string {
  if (config.pgBinDir) {
    if (
      isExecutable(path.join(config.pgBinDir, 'initdb')) &&
      isExecutable(path.join(config.pgBinDir, 'pg_ctl'))
    ) {
      return config.pgBinDir;
    }
    throw new MissingPrerequisiteError(`initdb/pg_ctl in PG_BIN_DIR=${config.pgBinDir}`, POSTGRES_HINT);
  }
  const fromDebian = debianPgBinDir();
  if (fromDebian) return fromDebian;
  const initdb = findExecutable('initdb', config.searchPath);
  if (initdb && findExecutable('pg_ctl', config.searchPath)) return path.dirname(initdb);
  throw new MissingPrerequisiteError('initdb (PostgreSQL server)', POSTGRES_HINT);
}

/**
 * Finds every program the native stack needs, or throws a {@link MissingPrerequisiteError} naming the
 * first one missing and what to install. Checked before anything is started.
 */
export function checkPrerequisites(config: StackConfig): Prerequisites {
  const javaFromHome = config.javaHome ? path.join(config.javaHome, 'bin', 'java') : undefined;
  const java =
    javaFromHome && isExecutable(javaFromHome) ? javaFromHome : findExecutable('java', config.searchPath);
  if (!java) throw new MissingPrerequisiteError('java', JAVA_HINT);
  const mvn = findExecutable('mvn', config.searchPath);
  if (!mvn) throw new MissingPrerequisiteError('mvn', MVN_HINT);
  const pgBinDir = resolvePgBinDir(config);
  let runuser: string | undefined;
  if (config.runningAsRoot) {
    runuser = findExecutable('runuser', config.searchPath) ?? findExecutable('runuser', '/usr/sbin:/sbin');
    if (!runuser) {
      throw new MissingPrerequisiteError(
        'runuser',
        'Running as root needs runuser (util-linux) to start PostgreSQL as the postgres user.',
      );
    }
  }
  return { java, mvn, pgBinDir, runuser };
}
