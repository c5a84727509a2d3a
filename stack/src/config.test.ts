import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sales-pipeline/platform';
import { loadStackConfig, REPO_ROOT } from './config.ts';

describe('loadStackConfig', () => {
  it('defaults the home to .stack/ in the clone and the jar cache to ~/.cache', () => {
    const config = loadStackConfig({ PATH: '/usr/bin', HOME: '/home/me' });
    expect(config.home).toBe(path.join(REPO_ROOT, '.stack'));
    expect(config.cacheDir).toMatch(/\.cache[/\\]sales-pipeline$/);
    expect(config.jvmHeapMb).toBe(512);
  });

  it('honours SALES_PIPELINE_HOME and numeric settings', () => {
    const config = loadStackConfig({ SALES_PIPELINE_HOME: '/tmp/x', STACK_JVM_HEAP_MB: '256' });
    expect(config.home).toBe('/tmp/x');
    expect(config.jvmHeapMb).toBe(256);
  });

  it('rejects a heap that is not a positive whole number', () => {
    expect(() => loadStackConfig({ STACK_JVM_HEAP_MB: '1.5' })).toThrow(ConfigError);
    expect(() => loadStackConfig({ STACK_JVM_HEAP_MB: 'big' })).toThrow(/STACK_JVM_HEAP_MB/);
  });

  it('passes the JVMs no variable but PATH, HOME, LANG and JAVA_HOME', () => {
    const config = loadStackConfig({
      PATH: '/usr/bin',
      HOME: '/h',
      SLACK_BOT_TOKEN: 'xoxb-secret',
      DATABASE_URL: 'x',
    });
    expect(config.childEnv).toEqual({ PATH: '/usr/bin', HOME: '/h' });
  });
});
