import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config.ts';
import { runCommand } from './processes.ts';

/** Where the resolved jars are: the broker and Connect classpath, and the Connect plugin path. */
export interface JarCache {
  /** Directory of jars: Kafka broker, Connect runtime, slf4j binding. */
  libDir: string;
  /** Connect `plugin.path`: holds `debezium-connector-postgres/`. */
  pluginDir: string;
}

export const STACK_POM = path.join(REPO_ROOT, 'stack', 'pom.xml');

/**
 * Makes sure the pinned jars are in the cache, resolving them from Maven Central with `mvn` on first
 * use. The cache folder is named after the pom's hash, so changing a version resolves afresh and
 * never mixes jars of two versions.
 */
export async function ensureJars(cacheDir: string, mvn: string, onResolve?: () => void): Promise<JarCache> {
  const pom = fs.readFileSync(STACK_POM);
  const digest = crypto.createHash('sha256').update(pom).digest('hex').slice(0, 12);
  const root = path.join(cacheDir, `jars-${digest}`);
  const cache = { libDir: path.join(root, 'lib'), pluginDir: path.join(root, 'plugins') };
  const marker = path.join(root, '.complete');
  if (fs.existsSync(marker)) return cache;

  onResolve?.();
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  await runCommand(mvn, ['-q', '-B', '-f', STACK_POM, `-Dstack.cache=${root}`, 'package'], {
    timeoutMs: 900_000,
  });
  fs.writeFileSync(marker, new Date().toISOString());
  return cache;
}
