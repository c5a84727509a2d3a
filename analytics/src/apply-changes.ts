import type { KafkaMessage } from 'kafkajs';
import { applyExactlyOnce, decodeChunkEvent, type ChunkEvent, type Pool } from '@sales-pipeline/platform';
import {
  applyDeltas,
  loadFacts,
  loadStoreDims,
  lockForSales,
  lockForStores,
  saveFacts,
  saveStoreDim,
  storeTotals,
} from './aggregate-writer.ts';
import { UNKNOWN_STORE, computeSaleDeltas, emptyDeltas, moveStoreTotals } from './compute-deltas.ts';
import { loadChunkSales } from './chunk-changes.ts';
import { decodeSaleChange, decodeStoreChange, type SaleChange, type StoreChange } from './decode-change.ts';

export interface ChangeBatchResult {
  applied: number;
  /** Events already applied (Debezium re-delivery, or a replay after a crash). */
  replays: number;
  skippedOffsets: number;
  undecodable: number;
  /** When the feed lines of the sales this batch counted for the first time were seen (epoch ms). */
  lineSeenAt: number[];
}

/** `chunks`: the change events of `sale_chunks`, a backfill's sales stored in bulk (read from `sales`). */
type Kind = 'sales' | 'stores' | 'chunks';

/**
 * Applies one partition's batch of change events to the aggregates exactly once (see applyExactlyOnce):
 * each change's delta (never a recomputation), and what each sale now contributes.
 */
export async function applyChanges(
  pool: Pool,
  options: {
    group: string;
    kind: Kind;
    topic: string;
    partition: number;
    messages: KafkaMessage[];
    signal?: AbortSignal;
    onRetry?: (error: unknown) => void;
  },
): Promise<ChangeBatchResult> {
  const { group, kind, topic, partition, messages } = options;
  let undecodable = 0;
  const outcome = await applyExactlyOnce(
    pool,
    { group, topic, partition },
    messages,
    async (client, fresh) => {
      const result = { applied: 0, replays: 0, lineSeenAt: [] as number[] };
      undecodable = 0;
      const decode =
        kind === 'sales' ? decodeSaleChange : kind === 'chunks' ? decodeChunkEvent : decodeStoreChange;
      const changes = fresh.flatMap((m) => {
        try {
          const change = decode(m.value?.toString() ?? null);
          return change ? [change] : [];
        } catch {
          undecodable++;
          return [];
        }
      });
      if (kind === 'sales' || kind === 'chunks') {
        await lockForSales(client);
        const saleChanges =
          kind === 'chunks'
            ? await loadChunkSales(client, changes as ChunkEvent[])
            : (changes as SaleChange[]);
        const facts = await loadFacts(client, [...new Set(saleChanges.map((c) => c.saleId))]);
        const storeIds = new Set<string>();
        for (const c of saleChanges) if (c.after.storeId) storeIds.add(c.after.storeId);
        for (const f of facts.values()) if (f.contribution.storeId) storeIds.add(f.contribution.storeId);
        const dims = await loadStoreDims(client, [...storeIds]);
        const { deltas, changedFacts, replays } = computeSaleDeltas(
          saleChanges,
          facts,
          (id) => dims.get(id) ?? UNKNOWN_STORE,
        );
        for (const c of saleChanges)
          if (c.lineSeenAt !== undefined && changedFacts.has(c.saleId)) result.lineSeenAt.push(c.lineSeenAt);
        const earliest = result.lineSeenAt.reduce<number | undefined>(
          (min, t) => (min === undefined || t < min ? t : min),
          undefined,
        );
        await applyDeltas(client, deltas, earliest);
        await saveFacts(client, changedFacts);
        result.applied = changedFacts.size;
        result.replays = replays;
      } else {
        await lockForStores(client);
        for (const change of changes as StoreChange[]) {
          const current = (await loadStoreDims(client, [change.storeId])).get(change.storeId);
          if (current && change.lsn <= current.lsn) {
            result.replays++;
            continue;
          }
          const deltas = emptyDeltas();
          moveStoreTotals(
            deltas,
            await storeTotals(client, change.storeId),
            current ?? UNKNOWN_STORE,
            change,
          );
          await applyDeltas(client, deltas);
          await saveStoreDim(client, change.storeId, change, change.lsn);
          result.applied++;
        }
      }
      return result;
    },
    { signal: options.signal, onRetry: options.onRetry },
  );
  return {
    applied: outcome.result?.applied ?? 0,
    replays: outcome.result?.replays ?? 0,
    skippedOffsets: outcome.skipped,
    undecodable,
    lineSeenAt: outcome.result?.lineSeenAt ?? [],
  };
}
