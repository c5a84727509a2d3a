import { describe, expect, it } from 'vitest';
import { WORKER_MALLOC_ENV, WORKER_NODE_FLAGS } from '@sales-pipeline/platform/worker-runtime';
import { workerHeapCommandLine, workerHeapEnvironment } from './worker-heap.ts';

const bin = '/repo/cli/bin/sales-pipeline.js';

describe('workerHeapCommandLine', () => {
  it('gives a worker command typed by hand the heap flags up gives its workers, before its own flags', () => {
    expect(
      workerHeapCommandLine(
        ['/usr/bin/node', bin, 'backfill', 'h.csv', '--feed-id', 'h'],
        ['--enable-source-maps'],
        '',
      ),
    ).toEqual([...WORKER_NODE_FLAGS, '--enable-source-maps', bin, 'backfill', 'h.csv', '--feed-id', 'h']);
    for (const command of ['produce', 'ingest', 'consume', 'analytics', 'notify', 'dashboard'])
      expect(workerHeapCommandLine(['node', bin, command], [], undefined)?.slice(-2)).toEqual([bin, command]);
  });

  it('gives the ingest server an old space of its own, the same other flags', () => {
    const flags = workerHeapCommandLine(['node', bin, 'ingest'], [], undefined)?.slice(0, -2);
    expect(flags).toContain('--max-old-space-size=40');
    expect(flags).toHaveLength(WORKER_NODE_FLAGS.length);
    expect(flags?.filter((f) => !f.startsWith('--max-old-space-size='))).toEqual(
      WORKER_NODE_FLAGS.filter((f) => !f.startsWith('--max-old-space-size=')),
    );
  });

  it('leaves alone other commands, --help, and heap flags given by the user or by up', () => {
    expect(workerHeapCommandLine(['node', bin, 'report'], [], undefined)).toBeUndefined();
    expect(workerHeapCommandLine(['node', bin], [], undefined)).toBeUndefined();
    expect(workerHeapCommandLine(['node', bin, 'consume', '--help'], [], undefined)).toBeUndefined();
    expect(
      workerHeapCommandLine(['node', bin, 'consume'], [...WORKER_NODE_FLAGS], undefined),
    ).toBeUndefined();
    expect(workerHeapCommandLine(['node', bin, 'consume'], ['--max_old_space_size=512'], '')).toBeUndefined();
    expect(workerHeapCommandLine(['node', bin, 'consume'], ['--min-semi-space-size=16'], '')).toBeUndefined();
    expect(
      workerHeapCommandLine(['node', bin, 'consume'], [], '--enable-source-maps --max-old-space-size=512'),
    ).toBeUndefined();
  });
});

describe('workerHeapEnvironment', () => {
  it("adds glibc's allocator thresholds to the caller's environment; the caller's own values win", () => {
    expect(workerHeapEnvironment({ HOME: '/h' })).toEqual({ HOME: '/h', ...WORKER_MALLOC_ENV });
    expect(workerHeapEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_).toBe('65536');
  });
});
