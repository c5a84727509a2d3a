import path from 'node:path';
import type { JarCache } from './jar-cache.ts';

/** The command line of a JVM running `mainClass` on the cached classpath. */
export function javaArgs(
  jars: JarCache,
  heapMb: number,
  mainClass: string,
  args: string[],
  logLevel = 'info',
  jvmOptions: string[] = [],
): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms64m',
    // Sized for a developer's machine (two cores, heaps of a few hundred MB), not a server: the serial
    // collector has no concurrent GC threads burning CPU between collections, and its pauses are short
    // on heaps this small; two JIT compiler threads at most.
    '-XX:+UseSerialGC',
    '-XX:CICompilerCount=2',
    '-XX:ReservedCodeCacheSize=64m',
    '-Djava.awt.headless=true',
    `-Dorg.slf4j.simpleLogger.defaultLogLevel=${logLevel}`,
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    ...jvmOptions,
    '-cp',
    path.join(jars.libDir, '*'),
    mainClass,
    ...args,
  ];
}

/** Renders a Java properties file; values are ours, so no escaping beyond what they need. */
export function renderProperties(entries: Record<string, string | number>): string {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}
