import pg from 'pg';
import { readEvery, until } from '../bench-stack.ts';
import { CLOCK_TICKS, readStat } from './proc-cpu.ts';

/** One reading of Debezium's walsender: how far it is behind the WAL written, and its CPU since the last. */
export interface LagSample {
  /** Epoch ms of the reading. */
  at: number;
  /** pg_current_wal_lsn() − the walsender's sent_lsn, in bytes: WAL written and not decoded and sent yet. */
  behindBytes: number;
  /** Share of one core the walsender used since the previous reading (0..1). */
  walsenderBusy: number;
}

/**
 * Every `intervalMs`, how far the walsender of `slotName` is behind the WAL and how busy it was: whether a
 * late change event waited for the walsender's decoding (behind, and busy near a whole core) or somewhere
 * after it (sent at once).
 */
export function replicationLagMeter(
  connectionString: string,
  slotName: string,
  intervalMs = 500,
): { stop: () => Promise<LagSample[]> } {
  const client = new pg.Client({ connectionString, application_name: 'bench-lag-meter' });
  const samples: LagSample[] = [];
  let previous: { at: number; ticks: number; pid: number } | undefined;
  const read = async () => {
    const { rows } = await client.query<{ pid: number; behind: string | null }>(
      `SELECT r.pid, (pg_current_wal_lsn() - r.sent_lsn)::text AS behind
         FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
        WHERE s.slot_name = $1`,
      [slotName],
    );
    const row = rows[0];
    const at = Date.now();
    if (!row || row.behind === null) return;
    const ticks = readStat(row.pid)?.own;
    if (ticks === undefined) return;
    const busy =
      previous && previous.pid === row.pid
        ? (ticks - previous.ticks) / CLOCK_TICKS / ((at - previous.at) / 1000)
        : Number.NaN;
    previous = { at, ticks, pid: row.pid };
    samples.push({ at, behindBytes: Number(row.behind), walsenderBusy: busy });
  };
  const readings = readEvery(client, intervalMs, read);
  return {
    async stop() {
      await readings.stop();
      await client.end();
      return samples;
    },
  };
}

/** Waits until the walsender of `slotName` has decoded and sent the WAL written so far; returns how long. */
export async function walsenderThrough(db: pg.Client, slotName: string): Promise<number> {
  const started = Date.now();
  const { rows } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const target = rows[0]?.lsn;
  await until(`Debezium's walsender through the WAL written (${target})`, async (saw) => {
    const { rows: sent } = await db.query<{ through: boolean | null; sent: string | null }>(
      `SELECT r.sent_lsn >= $2::pg_lsn AS through, r.sent_lsn::text AS sent
         FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
        WHERE s.slot_name = $1`,
      [slotName, target],
    );
    saw(`sent ${sent[0]?.sent ?? 'nothing (no walsender)'}`);
    return sent[0]?.through ? true : undefined;
  });
  return Date.now() - started;
}
