import type pg from 'pg';
import type { RunningStack } from '@sales-pipeline/stack';
import { aggregateStamps, lineOfSaleId, salesRowStamps } from '../../lib/commit-stamps.ts';
import { readTopic } from '../../lib/part.ts';

/** The timestamps of a sale, in the order it goes through the pipeline (epoch ms). */
export const STAMPS = [
  'appended',
  'seen',
  'sent',
  'kafkaCommitted',
  'rowCommitted',
  'debeziumRead',
  'changeInKafka',
  'aggregated',
] as const;
export type Stamp = (typeof STAMPS)[number];
export const HOP_LABEL: Record<Stamp, string> = {
  appended: 'appended to the feed (bench)',
  seen: 'read by the producer (`sales.line_seen_at`)',
  sent: 'sent to Kafka (`sales` record CreateTime)',
  kafkaCommitted: 'committed in Kafka (its transaction’s COMMIT marker)',
  rowCommitted: '`sales` row committed (commit timestamp)',
  debeziumRead: 'read by Debezium (event `ts_ms`)',
  changeInKafka: 'change event in Kafka (`cdc.public.sales` record timestamp)',
  aggregated: 'aggregates committed (`analytics.sale_facts` row)',
};

/** Every timestamp of each sale of the window, by slot (0 = the window's first row); NaN where missing. */
export type StampTable = Record<Stamp, Float64Array>;

/** The window: rows `from` (0-based) to `to` (excluded) of the feed, and when each row was appended. */
export interface SaleWindow {
  from: number;
  to: number;
  appendedAt: Float64Array;
}

/**
 * Reads every timestamp of the window's sales, once the pipeline has caught up: PostgreSQL commit times
 * (the `sales` row, its `analytics.sale_facts` row), the `sales` records and the COMMIT markers after them,
 * and the first change event of each sale. Also how many `sales` records had no COMMIT marker read.
 */
export async function readHopStamps(
  stack: RunningStack,
  db: pg.Client,
  window: SaleWindow,
): Promise<{ stamp: StampTable; withoutMarker: number }> {
  const sales = window.to - window.from;
  const stamp = Object.fromEntries(
    STAMPS.map((s) => [s, new Float64Array(sales).fill(Number.NaN)]),
  ) as StampTable;
  stamp.appended.set(window.appendedAt.subarray(window.from, window.to));
  const slot = (line: number) => {
    const i = line - 2 - window.from;
    return i >= 0 && i < sales ? i : -1;
  };

  for (const r of await salesRowStamps(db, window.from + 2, window.to + 1)) {
    const i = slot(r.line);
    if (i < 0) continue;
    stamp.seen[i] = r.seen;
    stamp.rowCommitted[i] = r.committed;
  }
  for (const r of await aggregateStamps(db)) {
    const i = slot(r.line);
    if (i >= 0) stamp.aggregated[i] = r.committed;
  }
  const withoutMarker = await readSalesRecordStamps(stack, stamp, slot);
  await readChangeEventStamps(stack, stamp, (saleId) => slot(lineOfSaleId(saleId)));
  return { stamp, withoutMarker };
}

/** `sales`: each record's CreateTime, and the COMMIT marker after it in its partition. */
async function readSalesRecordStamps(
  stack: RunningStack,
  stamp: StampTable,
  slot: (line: number) => number,
): Promise<number> {
  interface RawRecord {
    offset: string;
    timestamp: string;
    key: Buffer | null;
    isControlRecord?: boolean;
  }
  const records = new Map<number, Array<{ offset: number; slot: number; at: number }>>();
  const markers = new Map<number, Map<number, number>>();
  await readTopic(stack, 'sales', 'cost sales', async (batch) => {
    const raw = (batch as unknown as { rawMessages: RawRecord[]; fetchedOffset: string }).rawMessages;
    for (const m of raw) {
      const offset = Number(m.offset);
      if (m.isControlRecord) {
        // the control record's key: version (int16), type (int16: 0 abort, 1 commit)
        if (m.key && m.key.length >= 4 && m.key.readInt16BE(2) !== 1) continue;
        const list = markers.get(batch.partition) ?? new Map<number, number>();
        list.set(offset, Number(m.timestamp));
        markers.set(batch.partition, list);
        continue;
      }
      const i = slot(lineOfSaleId(m.key?.toString() ?? ''));
      if (i < 0) continue;
      const list = records.get(batch.partition) ?? [];
      list.push({ offset, slot: i, at: Number(m.timestamp) });
      records.set(batch.partition, list);
    }
  });
  let withoutMarker = 0;
  for (const [partition, list] of records) {
    const commits = [...(markers.get(partition) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
    for (const r of list) {
      stamp.sent[r.slot] = r.at;
      let lo = 0;
      let hi = commits.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((commits[mid]?.[0] ?? 0) > r.offset) hi = mid;
        else lo = mid + 1;
      }
      const marker = commits[lo];
      if (marker) stamp.kafkaCommitted[r.slot] = marker[1];
      else withoutMarker++;
    }
  }
  return withoutMarker;
}

/**
 * `cdc.public.sales`: the first change event of each sale (its insert), for the sales `slotOf` places
 * (a slot < 0 leaves the sale out).
 */
export async function readChangeEventStamps(
  stack: RunningStack,
  stamp: Pick<StampTable, 'debeziumRead' | 'changeInKafka'>,
  slotOf: (saleId: string) => number,
): Promise<void> {
  await readTopic(stack, 'cdc.public.sales', 'cost cdc', async (batch) => {
    for (const m of batch.messages) {
      if (!m.key || !m.value) continue;
      const key = JSON.parse(m.key.toString()) as { sale_id?: string };
      const i = slotOf(key.sale_id ?? '');
      if (i < 0 || !Number.isNaN(stamp.changeInKafka[i])) continue;
      const value = JSON.parse(m.value.toString()) as { ts_ms?: number };
      stamp.changeInKafka[i] = Number(m.timestamp);
      stamp.debeziumRead[i] = value.ts_ms ?? Number.NaN;
    }
  });
}
