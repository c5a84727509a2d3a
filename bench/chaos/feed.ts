import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Prng } from './prng.ts';

/** A valid line of the feed, and the sale it must become. */
export interface ExpectedSale {
  line: number;
  saleId: string;
  soldOn: string;
  productId: string;
  storeId: string;
  quantity: number;
  /** quantity × the product's price, in cents. */
  amountCents: bigint;
}

/** A line the producer must dead-letter, and why we made it bad. */
export interface ExpectedRejection {
  line: number;
  kind: string;
}

export interface Product {
  id: string;
  name: string;
  priceCents: bigint;
}

export interface Store {
  id: string;
  city: string;
}

/** A generated sales feed, its reference files, and everything the pipeline must end up with. */
export interface ChaosFeed {
  feedId: string;
  header: string;
  /** Data lines (line 2 onwards), each with its line ending. */
  lines: Buffer[];
  productsCsv: string;
  storesCsv: string;
  products: Product[];
  stores: Store[];
  sales: Map<string, ExpectedSale>;
  rejections: Map<number, ExpectedRejection>;
  totalCents: bigint;
  unitsByProduct: Map<string, number>;
  /** Valid lines that are sales (quantity > 0) and returns (quantity < 0). */
  saleLines: number;
  returnLines: number;
}

export const SALES_HEADER = 'Date,ID Référence produit,Quantité,ID Magasin';
const EOL = '\r\n';

const CITIES = [
  'Paris',
  'Lyon',
  'Marseille',
  'Toulouse',
  'Nice',
  'Nantes',
  'Strasbourg',
  'Bordeaux',
  'Lille',
];

const formatCents = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;

const isoDay = (base: number, offset: number) =>
  new Date(base + offset * 86_400_000).toISOString().slice(0, 10);

/** The bad lines we mix in: each one a reason the producer must dead-letter a line for. */
const BAD_KINDS: Array<{ kind: string; make: (good: string[]) => string | Buffer }> = [
  { kind: 'missing field', make: ([d, p, q]) => `${d},${p},${q}` },
  { kind: 'extra field', make: ([d, p, q, s]) => `${d},${p},${q},${s},en trop` },
  { kind: 'unparsable date', make: ([, p, q, s]) => `hier,${p},${q},${s}` },
  { kind: 'impossible date', make: ([, p, q, s]) => `2024-02-30,${p},${q},${s}` },
  { kind: 'date out of range', make: ([, p, q, s]) => `1989-12-31,${p},${q},${s}` },
  { kind: 'zero quantity', make: ([d, p, , s]) => `${d},${p},0,${s}` },
  { kind: 'absurd return', make: ([d, p, , s]) => `${d},${p},-10001,${s}` },
  { kind: 'fractional quantity', make: ([d, p, , s]) => `${d},${p},2.5,${s}` },
  { kind: 'absurd quantity', make: ([d, p, , s]) => `${d},${p},10001,${s}` },
  { kind: 'unparsable quantity', make: ([d, p, , s]) => `${d},${p},beaucoup,${s}` },
  { kind: 'formula', make: ([d, , q, s]) => `${d},=HYPERLINK(1),${q},${s}` },
  { kind: 'empty product', make: ([d, , q, s]) => `${d},,${q},${s}` },
  { kind: 'empty line', make: () => '' },
  {
    kind: 'invalid UTF-8',
    make: ([d, p, q, s]) =>
      Buffer.concat([Buffer.from(`${d},${p}`), Buffer.from([0xff]), Buffer.from(`,${q},${s}`)]),
  },
];

/**
 * Generates a feed of `sales` data lines in date order, of which about `badRatio` are bad (every kind of
 * {@link BAD_KINDS}), with some valid lines in the other accepted spellings (French dates, `5.0`, quoted
 * ids, spaces). Deterministic for a given generator state.
 */
export function generateFeed(
  rng: Prng,
  options: {
    sales: number;
    badRatio: number;
    feedId: string;
    /** Another feed's products and stores (a history of the same shops); its own otherwise. */
    catalog?: Pick<ChaosFeed, 'products' | 'stores' | 'productsCsv' | 'storesCsv'>;
    /** Its first day (ms, UTC). Default 2024-01-01. */
    firstDay?: number;
  },
): ChaosFeed {
  const { products, stores, productsCsv, storesCsv } = options.catalog ?? generateCatalog(rng);
  const days = Math.max(30, Math.ceil(options.sales / 1000));
  const base = options.firstDay ?? Date.UTC(2024, 0, 1);
  const lines: Buffer[] = [];
  const sales = new Map<string, ExpectedSale>();
  const rejections = new Map<number, ExpectedRejection>();
  const unitsByProduct = new Map<string, number>();
  let totalCents = 0n;
  for (let i = 0; i < options.sales; i++) {
    const line = i + 2; // line 1 is the header
    const soldOn = isoDay(base, Math.floor((i * days) / options.sales));
    const product = rng.pick(products);
    const store = rng.pick(stores);
    // About 2 % returns: a negative quantity, priced like a sale.
    const quantity = rng.chance(0.003) ? rng.int(50, 200) : rng.chance(0.02) ? -rng.int(1, 3) : rng.int(1, 5);
    const plain = [soldOn, product.id, String(quantity), store.id];
    if (rng.chance(options.badRatio)) {
      const bad = rng.pick(BAD_KINDS);
      const made = bad.make(plain);
      lines.push(Buffer.concat([Buffer.isBuffer(made) ? made : Buffer.from(made), Buffer.from(EOL)]));
      rejections.set(line, { line, kind: bad.kind });
      continue;
    }
    const fields = [...plain];
    if (rng.chance(0.03)) fields[0] = `${soldOn.slice(8, 10)}/${soldOn.slice(5, 7)}/${soldOn.slice(0, 4)}`;
    if (rng.chance(0.03)) fields[1] = `"${product.id}"`;
    if (rng.chance(0.03)) fields[2] = `${quantity}.0`;
    if (rng.chance(0.03)) fields[3] = ` ${store.id} `;
    lines.push(Buffer.from(fields.join(',') + EOL));
    const saleId = `${options.feedId}/0/${line}`;
    const amountCents = product.priceCents * BigInt(quantity);
    sales.set(saleId, {
      line,
      saleId,
      soldOn,
      productId: product.id,
      storeId: store.id,
      quantity,
      amountCents,
    });
    totalCents += amountCents;
    unitsByProduct.set(product.id, (unitsByProduct.get(product.id) ?? 0) + quantity);
  }
  const quantities = [...sales.values()].map((sale) => sale.quantity);
  return {
    saleLines: quantities.filter((q) => q > 0).length,
    returnLines: quantities.filter((q) => q < 0).length,
    feedId: options.feedId,
    header: SALES_HEADER,
    lines,
    productsCsv,
    storesCsv,
    products,
    stores,
    sales,
    rejections,
    totalCents,
    unitsByProduct,
  };
}

/** Twelve products (the client's id format) at random prices, nine stores, and their reference files. */
function generateCatalog(rng: Prng): Pick<ChaosFeed, 'products' | 'stores' | 'productsCsv' | 'storesCsv'> {
  const products: Product[] = Array.from({ length: 12 }, (_, i) => ({
    // The client's id formats (PRODUCT_ID_PATTERN, STORE_ID_PATTERN): another one is a rejected row.
    id: `REF9${String(i + 1).padStart(3, '0')}`,
    name: `Produit chaos ${i + 1}`,
    priceCents: BigInt(rng.int(199, 14_999)),
  }));
  const stores: Store[] = Array.from({ length: 9 }, (_, i) => ({
    id: String(i + 1),
    city: i === 8 ? 'Trifouilly-les-Oies' : (CITIES[i] as string),
  }));
  const productsCsv =
    `Nom,ID Référence produit,Prix,Stock${EOL}` +
    products.map((p) => `${p.name},${p.id},${formatCents(p.priceCents)},${rng.int(0, 500)}`).join(EOL) +
    EOL;
  const storesCsv =
    `ID Magasin,Ville,Nombre de salariés${EOL}` +
    stores.map((s) => `${s.id},${s.city},${rng.int(2, 40)}`).join(EOL) +
    EOL;
  return { products, stores, productsCsv, storesCsv };
}

/** The whole feed in a file at once: a finished export (the history a backfill loads). */
export function writeWholeFeed(file: string, feed: ChaosFeed): void {
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`${feed.header}${EOL}`), ...feed.lines]));
}

/**
 * Appends the feed's lines to a file at `rowsPerSecond`, as an export that keeps growing would, every
 * `tickMs`, never beyond `allowance()` lines (the chaos run releases the feed slice by slice, so that every
 * kill lands while lines are flowing). Sometimes a write stops a few bytes into a line (never at a point
 * where the partial line could pass for a complete row): the producer must hold it until the rest comes.
 */
export class FeedWriter {
  written = 0;
  private stopped = false;

  constructor(
    private readonly file: string,
    private readonly feed: ChaosFeed,
    private readonly rng: Prng,
    private readonly rowsPerSecond: number,
    private readonly allowance: () => number = () => Number.POSITIVE_INFINITY,
    private readonly tickMs = 100,
  ) {}

  /** Writes the header now, then the lines over time; resolves once every line is written. */
  async run(): Promise<void> {
    fs.writeFileSync(this.file, `${this.feed.header}${EOL}`);
    let pending: Buffer | undefined;
    let credit = 0;
    let last = Date.now();
    while (this.written < this.feed.lines.length && !this.stopped) {
      await sleep(this.tickMs);
      const now = Date.now();
      credit += ((now - last) / 1000) * this.rowsPerSecond;
      last = now;
      const due = Math.min(this.feed.lines.length, this.allowance(), this.written + Math.floor(credit));
      if (due <= this.written) {
        credit = Math.min(credit, this.rowsPerSecond); // no burst after a hold
        continue;
      }
      credit -= due - this.written;
      const chunk = [...(pending ? [pending] : []), ...this.feed.lines.slice(this.written, due)];
      pending = undefined;
      this.written = due;
      const next = this.feed.lines[this.written];
      if (next && this.rng.chance(0.2)) {
        const head = next.subarray(0, 4);
        if (next.length > 8 && !/[,"\r\n]/.test(head.toString('latin1'))) {
          chunk.push(head);
          pending = next.subarray(4);
          this.written++;
        }
      }
      fs.appendFileSync(this.file, Buffer.concat(chunk));
    }
    if (pending) fs.appendFileSync(this.file, pending);
  }

  stop(): void {
    this.stopped = true;
  }
}

export { formatCents };
