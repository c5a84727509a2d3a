import type { ProductMessage, StoreMessage } from '@sales-pipeline/platform';

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same feed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Relative sales per hour of the day (shop hours, lunch and after-work peaks); averages 1. */
const HOURLY = [
  0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.2, 0.5, 0.9, 1.3, 1.6, 2.0, 2.2, 1.8, 1.5, 1.5, 1.7, 2.1, 2.3, 1.9,
  1.2, 0.6, 0.3, 0.1,
].map((w, _, all) => (w * all.length) / all.reduce((s, x) => s + x, 0));

/** Relative sales per day of the week, Sunday first (Saturday busiest); averages 1. */
const DAILY = [0.5, 0.85, 0.9, 0.95, 1.05, 1.25, 1.5].map((w, _, all) => (w * all.length) / 7);

/** How busy the shops are at this moment, relative to the average (1): the daily and hourly rhythm. */
export function rhythm(at: Date): number {
  return (HOURLY[at.getUTCHours()] as number) * (DAILY[at.getUTCDay()] as number);
}

export interface SimulatorOptions {
  seed: number;
  /** Share of sales that are bulk orders (a business buying 20 to 60 units). Default 0.02. */
  bulkShare?: number;
}

/**
 * Makes realistic sales lines in the client's format (`Date,ID Référence produit,Quantité,ID Magasin`,
 * CRLF): products drawn with a long tail of popularity, stores in proportion to their staff, mostly 1 to
 * 5 units, with occasional bulk orders. Pure apart from its seeded PRNG.
 */
export class SaleSimulator {
  static readonly HEADER = 'Date,ID Référence produit,Quantité,ID Magasin';
  private readonly random: () => number;
  private readonly productWeights: number[];
  private readonly storeWeights: number[];
  private readonly bulkShare: number;

  constructor(
    private readonly products: Array<Pick<ProductMessage, 'product_id'>>,
    private readonly stores: Array<Pick<StoreMessage, 'store_id' | 'employees'>>,
    options: SimulatorOptions,
  ) {
    if (products.length === 0) throw new Error('the simulator needs at least one product');
    if (stores.length === 0) throw new Error('the simulator needs at least one store');
    this.random = seededRandom(options.seed);
    this.bulkShare = options.bulkShare ?? 0.02;
    // Zipf-like popularity in file order: the first products sell most.
    this.productWeights = cumulative(products.map((_, i) => 1 / (i + 1)));
    this.storeWeights = cumulative(stores.map((s) => Math.max(1, s.employees ?? 1)));
  }

  /** One sale on the day of `at`, as a CSV line without its terminator. */
  line(at: Date): string {
    const product = this.products[pick(this.productWeights, this.random())] as { product_id: string };
    const store = this.stores[pick(this.storeWeights, this.random())] as { store_id: string };
    const quantity =
      this.random() < this.bulkShare
        ? 20 + Math.floor(this.random() * 41)
        : 1 + Math.floor(this.random() ** 2 * 5);
    return `${at.toISOString().slice(0, 10)},${product.product_id},${quantity},${store.store_id}`;
  }
}

function cumulative(weights: number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

function pick(cumulativeWeights: number[], r: number): number {
  const target = r * (cumulativeWeights[cumulativeWeights.length - 1] as number);
  let low = 0;
  let high = cumulativeWeights.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((cumulativeWeights[mid] as number) > target) high = mid;
    else low = mid + 1;
  }
  return low;
}
