import fs from 'node:fs';
import path from 'node:path';
import { StackError } from '@sales-pipeline/platform';
import { runCommand } from './processes.ts';

/**
 * Run as root, PostgreSQL runs as the `postgres` user, which must be able to enter the stack's home and
 * every directory above it (a `mktemp -d` directory is 0700: it cannot). Checked before anything starts,
 * naming the first directory it cannot enter and the fix.
 */
export async function ensurePostgresCanEnter(home: string, runuser: string): Promise<void> {
  const canEnter = (dir: string) =>
    runCommand(runuser, ['-u', 'postgres', '--', 'test', '-x', dir]).then(
      () => true,
      () => false,
    );
  if (await canEnter(home)) return;
  const chain: string[] = [];
  for (let dir = path.resolve(home); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  let blocking = home;
  for (const dir of chain) {
    if (!(await canEnter(dir))) {
      blocking = dir;
      break;
    }
  }
  const mode = (fs.statSync(blocking).mode & 0o777).toString(8).padStart(4, '0');
  throw new StackError(
    `PostgreSQL runs as the postgres user (we run as root), who cannot enter ${blocking} (mode ${mode}); ` +
      `the stack's home is ${home}`,
    {
      hint:
        `Let it through (enter, not list) with: chmod o+x ${blocking}\n` +
        'or set SALES_PIPELINE_HOME to a directory it can reach (e.g. under /var/tmp).',
    },
  );
}
