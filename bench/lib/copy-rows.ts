import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RunningStack } from '@sales-pipeline/stack';
import { SALES_COLUMNS } from './feed.ts';

/**
 * COPY of `copyFile` (rows as `sales` stores them, see writeSalesCopyFile) into `table` as the workers'
 * role, the limit the parts compare with; returns how long it took, ms.
 */
export async function copySalesRows(stack: RunningStack, table: string, copyFile: string): Promise<number> {
  const app = new pg.Client({ connectionString: stack.secrets.databaseUrl });
  await app.connect();
  try {
    const started = Date.now();
    await pipeline(
      fs.createReadStream(copyFile, { highWaterMark: 1 << 20 }),
      app.query(copyFrom(`COPY ${table} (${SALES_COLUMNS}) FROM STDIN`)),
    );
    return Date.now() - started;
  } finally {
    await app.end();
  }
}
