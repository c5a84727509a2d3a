import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Product, Store } from './feed.ts';
import { SALES_HEADER, formatCents } from './feed.ts';
import type { Prng } from './prng.ts';

/** A line of a corrected export: a sale (quantity > 0) or a return (quantity < 0). */
export interface CorrectionRow {
  soldOn: string;
  productId: string;
  storeId: string;
  quantity: number;
}

/**
 * The correction phase's feed: an export served at a URL whose versions amend, cancel, insert (anywhere)
 * and return sales. Its products are its own, so that the main feed's milestones stay what they are; every
 * version keeps each product's net units positive, and cancels at most 2 % of its sales (under
 * SNAPSHOT_MAX_CANCEL's 5 %).
 */
export interface CorrectionFeed {
  feedId: string;
  products: Product[];
  productsCsv: string;
  versions: string[];
  /** The last version's rows: what the sales table must hold for this feed, cancelled sales aside. */
  final: CorrectionRow[];
  totalCents: bigint;
  units: number;
  saleLines: number;
  returnLines: number;
  /** What the versions change, summed (for the report). */
  changes: { amended: number; deleted: number; inserted: number; returns: number };
}

const EOL = '\r\n';
const text = (rows: CorrectionRow[]) =>
  [SALES_HEADER, ...rows.map((r) => `${r.soldOn},${r.productId},${r.quantity},${r.storeId}`)].join(EOL) + EOL;

/** Generates `versions` versions of an export of about `lines` lines. Deterministic for a generator state. */
export function generateCorrections(
  rng: Prng,
  options: { lines: number; versions: number; stores: Store[]; feedId: string },
): CorrectionFeed {
  const products: Product[] = Array.from({ length: 4 }, (_, i) => ({
    id: `REF8${String(i + 1).padStart(3, '0')}`,
    name: `Produit corrigé ${i + 1}`,
    priceCents: BigInt(rng.int(199, 9_999)),
  }));
  const productsCsv =
    products.map((p) => `${p.name},${p.id},${formatCents(p.priceCents)},100`).join(EOL) + EOL;
  const day = () => `2030-0${rng.int(1, 9)}-${String(rng.int(1, 28)).padStart(2, '0')}`;
  const sale = (): CorrectionRow => ({
    soldOn: day(),
    productId: rng.pick(products).id,
    storeId: rng.pick(options.stores).id,
    quantity: rng.int(1, 5),
  });
  const changes = { amended: 0, deleted: 0, inserted: 0, returns: 0 };
  let rows = Array.from({ length: options.lines }, sale);
  const versions = [text(rows)];
  for (let v = 1; v < options.versions; v++) {
    const next: CorrectionRow[] = [];
    for (const row of rows) {
      if (rng.chance(0.02)) {
        changes.deleted++;
        continue;
      }
      if (rng.chance(0.03)) {
        changes.amended++;
        next.push({ ...row, quantity: row.quantity > 0 ? rng.int(1, 5) : -1 });
      } else next.push(row);
      if (rng.chance(0.03)) {
        changes.inserted++;
        next.push(sale());
      }
      if (rng.chance(0.01)) {
        changes.returns++;
        next.push({ ...sale(), quantity: -rng.int(1, 2) });
      }
    }
    rows = next;
    versions.push(text(rows));
  }
  const byId = new Map(products.map((p) => [p.id, p.priceCents]));
  return {
    feedId: options.feedId,
    products,
    productsCsv,
    versions,
    final: rows,
    totalCents: rows.reduce((sum, r) => sum + (byId.get(r.productId) as bigint) * BigInt(r.quantity), 0n),
    units: rows.reduce((sum, r) => sum + r.quantity, 0),
    saleLines: rows.filter((r) => r.quantity > 0).length,
    returnLines: rows.filter((r) => r.quantity < 0).length,
    changes,
  };
}

/** Serves the export's current version at a URL, as a spreadsheet publishes it; `show` moves to another. */
export class CorrectionServer {
  private current = 0;
  private server: http.Server | undefined;

  constructor(private readonly feed: CorrectionFeed) {}

  async start(): Promise<string> {
    this.server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      res.end(this.feed.versions[this.current]);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${this.feed.feedId}.csv`;
  }

  /** Serves version `index` (0-based) from now on. */
  show(index: number): void {
    this.current = Math.min(index, this.feed.versions.length - 1);
  }

  get version(): number {
    return this.current + 1;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** `a` and `b` as multisets of rows: what is in one more often than in the other, a line each (the first `max`). */
export function rowDifferences(expected: CorrectionRow[], actual: CorrectionRow[], max = 20): string[] {
  const key = (r: CorrectionRow) => `${r.soldOn},${r.productId},${r.quantity},${r.storeId}`;
  const counts = new Map<string, number>();
  for (const r of expected) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  for (const r of actual) counts.set(key(r), (counts.get(key(r)) ?? 0) - 1);
  const out: string[] = [];
  for (const [row, n] of counts) {
    if (n > 0) out.push(`missing ${n}× ${row}`);
    if (n < 0) out.push(`${-n}× ${row} too many (a duplicate or a cancellation not applied)`);
    if (out.length >= max) break;
  }
  return out;
}
