import crypto from 'node:crypto';
import { diffArrays } from 'diff';
import type { FeedOutput } from '../parse/feed-parser.ts';

/**
 * One line of a published version, as remembered: its content hash and the sale it is (null for the
 * header and rejected lines). `c` marks a sale its line cancels (an id-column feed's status column).
 */
export interface StateLine {
  h: string;
  id: string | null;
  c?: 1;
}

/** One line of a new version: where it is, what it holds (its hash) and what it parsed as. */
export interface VersionLine {
  line: number;
  hash: string;
  output: FeedOutput;
}

type RowOutput = Extract<FeedOutput, { type: 'row' }>;
type DeadOutput = Extract<FeedOutput, { type: 'dead' }>;

/** What a new version changes. */
export type VersionChange =
  | { type: 'sale'; id: string; row: RowOutput; amendment: boolean }
  | { type: 'cancel'; id: string; line: number | null }
  | { type: 'dead'; output: DeadOutput };

export interface VersionCounts {
  newSales: number;
  amendments: number;
  cancellations: number;
  unchanged: number;
  deadLetters: number;
  /** Sales the previous version held (live, not cancelled). */
  liveBefore: number;
}

export interface VersionPlan {
  changes: VersionChange[];
  /** The new version's lines with their sale ids: what the next version is compared with. */
  state: StateLine[];
  counts: VersionCounts;
}

const digest = (text: string) => crypto.createHash('sha1').update(text).digest('base64url').slice(0, 16);

/**
 * A line's content hash: a row by its parsed values (so `5` and `5.0`, or a line ending changed, are the
 * same sale), a rejected line by its raw text, the header by its place.
 */
export function lineHash(output: FeedOutput): string {
  if (output.type === 'header') return 'h';
  if (output.type === 'dead')
    return `d${digest(`${output.letter.raw}\u0000${output.letter.raw_base64 ?? ''}`)}`;
  if (output.row.kind !== 'sales') return `r${digest(JSON.stringify(output.row.value))}`;
  const { value, ownId, cancelled } = output.row;
  return `r${digest(JSON.stringify([value.sold_on, value.product_id, value.quantity, value.store_id, ownId ?? null, cancelled ?? false]))}`;
}

/** The lines of a version's outputs, in order. */
export function versionLines(outputs: FeedOutput[]): VersionLine[] {
  return outputs.map((output) => ({
    line: output.type === 'dead' ? (output.letter.line ?? 0) : output.line,
    hash: lineHash(output),
    output,
  }));
}

const emptyCounts = (liveBefore: number): VersionCounts => ({
  newSales: 0,
  amendments: 0,
  cancellations: 0,
  unchanged: 0,
  deadLetters: 0,
  liveBefore,
});

const isLive = (line: StateLine) => line.id !== null && line.c === undefined;

/**
 * Compares a new version of a snapshot feed with the published one, line by line. Pure.
 *
 * Without an id column, a real diff (Myers, the `diff` package) of the lines' hashes: a line in both is
 * the same sale (its id kept); a line that moved (removed here, added there, same content) keeps its id
 * too; within a changed block, removed and added lines are paired in order: a changed line is an
 * amendment of its sale; a removed line left over is a cancellation; an added one a new sale, wherever it
 * is. Identical lines stay distinct sales (the diff matches them one for one).
 *
 * With an id column (`byOwnId`), a sale is its id: a new id is a new sale, a known id with other values an
 * amendment, a known id missing from the version or marked cancelled a cancellation.
 *
 * `newId(line)` gives a new sale its id. Rejected lines already published unchanged are not rejected again.
 */
export function planVersion(
  previous: StateLine[],
  next: VersionLine[],
  newId: (line: number) => string,
  byOwnId: boolean,
): VersionPlan {
  return byOwnId ? planByOwnId(previous, next) : planByDiff(previous, next, newId);
}

function planByDiff(
  previous: StateLine[],
  next: VersionLine[],
  newId: (line: number) => string,
): VersionPlan {
  const counts = emptyCounts(previous.filter(isLive).length);
  const ids: Array<string | null> = new Array<string | null>(next.length).fill(null);
  const kept: boolean[] = new Array<boolean>(next.length).fill(false);
  /** Lines the new version holds unchanged (in place, or moved). */
  const same: boolean[] = new Array<boolean>(next.length).fill(false);
  const hunks: Array<{ removed: number[]; added: number[] }> = [];
  let i = 0;
  let j = 0;
  let hunk: { removed: number[]; added: number[] } | undefined;
  for (const part of diffArrays(
    previous.map((l) => l.h),
    next.map((l) => l.hash),
  )) {
    const count = part.value.length;
    if (!part.added && !part.removed) {
      hunk = undefined;
      for (let k = 0; k < count; k++) {
        ids[j] = (previous[i] as StateLine).id;
        kept[j] = true;
        same[j] = true;
        i++;
        j++;
      }
      continue;
    }
    if (!hunk) {
      hunk = { removed: [], added: [] };
      hunks.push(hunk);
    }
    for (let k = 0; k < count; k++) {
      if (part.removed) hunk.removed.push(i++);
      else hunk.added.push(j++);
    }
  }

  // Moves: a removed line whose content is added elsewhere is the same line, moved.
  const removedByHash = new Map<string, number[]>();
  for (const h of hunks) {
    for (const r of h.removed) {
      const list = removedByHash.get((previous[r] as StateLine).h);
      if (list) list.push(r);
      else removedByHash.set((previous[r] as StateLine).h, [r]);
    }
  }
  const moved = new Set<number>();
  for (const h of hunks) {
    for (const a of h.added) {
      const r = removedByHash.get((next[a] as VersionLine).hash)?.shift();
      if (r === undefined) continue;
      moved.add(r);
      ids[a] = (previous[r] as StateLine).id;
      kept[a] = true;
      same[a] = true;
    }
  }

  const changes: VersionChange[] = [];
  for (const h of hunks) {
    const removed = h.removed.filter((r) => !moved.has(r));
    const added = h.added.filter((a) => !kept[a]);
    removed.forEach((r, k) => {
      const old = previous[r] as StateLine;
      const a = added[k];
      const oldSale = isLive(old) ? old.id : null;
      if (a === undefined) {
        if (oldSale) {
          changes.push({ type: 'cancel', id: oldSale, line: null });
          counts.cancellations++;
        }
        return;
      }
      kept[a] = true;
      const line = next[a] as VersionLine;
      if (line.output.type === 'row' && oldSale) {
        ids[a] = oldSale;
        changes.push({ type: 'sale', id: oldSale, row: line.output, amendment: true });
        counts.amendments++;
        return;
      }
      if (oldSale) {
        changes.push({ type: 'cancel', id: oldSale, line: line.line });
        counts.cancellations++;
      }
      addNew(a);
    });
    for (const a of added.slice(removed.length)) addNew(a);
  }

  function addNew(a: number): void {
    kept[a] = true;
    const line = next[a] as VersionLine;
    if (line.output.type === 'row') {
      const id = newId(line.line);
      ids[a] = id;
      changes.push({ type: 'sale', id, row: line.output, amendment: false });
      counts.newSales++;
    } else if (line.output.type === 'dead') {
      changes.push({ type: 'dead', output: line.output });
      counts.deadLetters++;
    }
  }

  counts.unchanged = same.filter((s, k) => s && ids[k] !== null).length;
  return { changes, state: next.map((l, k) => ({ h: l.hash, id: ids[k] ?? null })), counts };
}

function planByOwnId(previous: StateLine[], next: VersionLine[]): VersionPlan {
  const counts = emptyCounts(previous.filter(isLive).length);
  const known = new Map<string, StateLine>();
  const publishedDead = new Map<string, number>();
  for (const line of previous) {
    if (line.id !== null) known.set(line.id, line);
    else publishedDead.set(line.h, (publishedDead.get(line.h) ?? 0) + 1);
  }
  // A sale id on several lines of one version: the last of them is the sale.
  const lastLineOf = new Map<string, number>();
  next.forEach((l, k) => {
    if (l.output.type === 'row') lastLineOf.set(l.output.row.key, k);
  });

  const changes: VersionChange[] = [];
  const state: StateLine[] = [];
  const present = new Set<string>();
  next.forEach((l, k) => {
    const { output } = l;
    if (output.type === 'header') {
      state.push({ h: l.hash, id: null });
      return;
    }
    if (output.type === 'dead') {
      const left = publishedDead.get(l.hash) ?? 0;
      if (left > 0) publishedDead.set(l.hash, left - 1);
      else {
        changes.push({ type: 'dead', output });
        counts.deadLetters++;
      }
      state.push({ h: l.hash, id: null });
      return;
    }
    const row = output.row as Extract<RowOutput['row'], { kind: 'sales' }>;
    const id = row.key;
    const last = lastLineOf.get(id) as number;
    if (last !== k) {
      const superseded: DeadOutput = {
        type: 'dead',
        end: output.end,
        letter: {
          stage: 'producer',
          feed: row.value.feed,
          line: l.line,
          raw: JSON.stringify(row.value),
          raw_base64: null,
          reason: `sale id ${JSON.stringify(row.ownId ?? id)} appears again on line ${(next[last] as VersionLine).line} of this version, which is the sale's version`,
          detected_at: new Date().toISOString(),
        },
      };
      if (!publishedDead.has(l.hash)) {
        changes.push({ type: 'dead', output: superseded });
        counts.deadLetters++;
      }
      state.push({ h: l.hash, id: null });
      return;
    }
    present.add(id);
    const before = known.get(id);
    if (row.cancelled) {
      state.push({ h: l.hash, id, c: 1 });
      if (before && !isLive(before) && before.h === l.hash) counts.unchanged++;
      else if (!before || isLive(before) || before.h !== l.hash) {
        changes.push({ type: 'cancel', id, line: l.line });
        // Only a live sale's cancellation counts towards SNAPSHOT_MAX_CANCEL.
        if (before && isLive(before)) counts.cancellations++;
      }
      return;
    }
    state.push({ h: l.hash, id });
    if (before && isLive(before) && before.h === l.hash) {
      counts.unchanged++;
      return;
    }
    changes.push({ type: 'sale', id, row: output, amendment: before !== undefined });
    if (before) counts.amendments++;
    else counts.newSales++;
  });
  for (const [id, line] of known) {
    if (present.has(id) || !isLive(line)) continue;
    changes.push({ type: 'cancel', id, line: null });
    counts.cancellations++;
  }
  return { changes, state, counts };
}
