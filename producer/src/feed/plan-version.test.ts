import { describe, expect, it } from 'vitest';
import { FeedParser } from '../parse/feed-parser.ts';
import { START_CURSOR } from './feed-cursor.ts';
import { planVersion, versionLines, type StateLine, type VersionChange } from './plan-version.ts';

const HEADER = 'Date,ID Référence produit,Quantité,ID Magasin';
const ID_HEADER = 'ID Vente,Date,ID Référence produit,Quantité,ID Magasin,Statut';

function lines(rows: string[], header = HEADER) {
  const parser = new FeedParser('sales', 'ventes', START_CURSOR, { maxRecordBytes: 65_536 });
  const body = Buffer.from([header, ...rows].join('\r\n'));
  return versionLines([...parser.push(body), ...parser.flush()]);
}

/** Applies versions one after the other, as the producer does, and returns each plan. */
function versions(texts: string[][], byOwnId = false, header = HEADER) {
  let state: StateLine[] = [];
  return texts.map((rows, v) => {
    const plan = planVersion(
      state,
      lines(rows, header),
      (line) => `ventes/0/${v === 0 ? '' : `v${v + 1}/`}${line}`,
      byOwnId,
    );
    state = plan.state;
    return plan;
  });
}

const summary = (changes: VersionChange[]) =>
  changes.map((c) =>
    c.type === 'sale'
      ? `${c.amendment ? 'amend' : 'new'} ${c.id} q=${(c.row.row.value as { quantity: number }).quantity}`
      : c.type === 'cancel'
        ? `cancel ${c.id}`
        : `dead ${c.output.letter.line}`,
  );

describe('planVersion (diff)', () => {
  const v1 = [
    '2023-05-27,REF001,5,1',
    '2023-05-28,REF002,3,2',
    '2023-05-28,REF002,3,2',
    '2023-05-29,REF003,2,1',
  ];

  it('publishes every row of the first version under the ids tailing would give', () => {
    const [plan] = versions([v1]);
    expect(summary(plan!.changes)).toEqual([
      'new ventes/0/2 q=5',
      'new ventes/0/3 q=3',
      'new ventes/0/4 q=3',
      'new ventes/0/5 q=2',
    ]);
  });

  it('tells amendments, cancellations, inserts in the middle and returns apart', () => {
    const v2 = [
      '2023-05-27,REF001,6,1', // amended quantity
      '2023-05-28,REF004,1,3', // inserted in the middle
      '2023-05-28,REF002,3,2', // (one of the two identical lines cancelled)
      '2023-05-29,REF003,2,1',
      '2023-05-30,REF001,-2,1', // a return, appended
    ];
    const [, plan] = versions([v1, v2]);
    expect(summary(plan!.changes)).toEqual([
      'amend ventes/0/2 q=6',
      'new ventes/0/v2/3 q=1',
      'cancel ventes/0/4',
      'new ventes/0/v2/6 q=-2',
    ]);
    expect(plan!.counts).toMatchObject({
      newSales: 2,
      amendments: 1,
      cancellations: 1,
      unchanged: 2,
      liveBefore: 4,
    });
  });

  it('keeps a sale id when its line moves, and nothing is sent for a version that only reorders', () => {
    const [, plan] = versions([v1, [v1[3]!, v1[0]!, v1[1]!, v1[2]!]]);
    expect(plan!.changes).toEqual([]);
    expect(plan!.state.map((l) => l.id)).toEqual([
      null,
      'ventes/0/5',
      'ventes/0/2',
      'ventes/0/3',
      'ventes/0/4',
    ]);
  });

  it('keeps identical lines distinct: removing one of two cancels one sale', () => {
    const [, plan] = versions([v1, [v1[0]!, v1[1]!, v1[3]!]]);
    expect(summary(plan!.changes)).toEqual(['cancel ventes/0/4']);
  });

  it('an empty version cancels every sale', () => {
    const [, plan] = versions([v1, []]);
    expect(plan!.counts.cancellations).toBe(4);
  });

  it('a line that becomes invalid cancels its sale and is rejected; one that becomes valid is a new sale', () => {
    const [, v2, v3] = versions([v1, [v1[0]!, '2023-05-28,REF002,zero,2', v1[2]!, v1[3]!], v1]);
    // One of the two identical sales is cancelled (which one does not matter: they are the same sale).
    expect(summary(v2!.changes).sort()).toEqual(['cancel ventes/0/4', 'dead 3']);
    expect(summary(v3!.changes)).toEqual(['new ventes/0/v3/4 q=3']);
  });
});

describe('planVersion (id column)', () => {
  const v1 = ['A1,2023-05-27,REF001,5,1,', 'A2,2023-05-28,REF002,3,2,', 'A3,2023-05-29,REF003,2,1,'];

  it('amends, cancels by status or absence, and adds by id, wherever the lines are', () => {
    const v2 = ['A3,2023-05-29,REF003,4,1,', 'A4,2023-05-30,REF001,1,3,', 'A1,2023-05-27,REF001,5,1,annulée'];
    const [first, plan] = versions([v1, v2], true, ID_HEADER);
    expect(summary(first!.changes)).toEqual([
      'new ventes/id/A1 q=5',
      'new ventes/id/A2 q=3',
      'new ventes/id/A3 q=2',
    ]);
    expect(summary(plan!.changes)).toEqual([
      'amend ventes/id/A3 q=4',
      'new ventes/id/A4 q=1',
      'cancel ventes/id/A1',
      'cancel ventes/id/A2',
    ]);
  });

  it('the same version again changes nothing', () => {
    const [, plan] = versions([v1, v1], true, ID_HEADER);
    expect(plan!.changes).toEqual([]);
  });
});
