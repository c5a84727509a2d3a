import type { ChaosFeed } from './feed.ts';

/** The notifier's rules for the run, sized from the feed so that each rule fires tens of times. */
export interface ChaosRules {
  /** Every multiple of a step is a milestone (not the notifier's default 1-2-5 series). */
  stepSeries: 'multiples';
  revenueStepEuros: number;
  productUnitsStep: number;
  bigSaleEuros: number;
  storeBestDay: boolean;
}

export function rulesFor(feed: ChaosFeed): ChaosRules {
  const totalEuros = Number(feed.totalCents / 100n);
  const units = [...feed.unitsByProduct.values()];
  const amounts = [...feed.sales.values()].map((s) => s.amountCents).sort((a, b) => (a < b ? 1 : -1));
  const top = amounts[Math.min(amounts.length - 1, Math.max(2, Math.floor(amounts.length / 1000)))] ?? 100n;
  return {
    stepSeries: 'multiples',
    revenueStepEuros: Math.max(1, Math.floor(totalEuros / 40)),
    productUnitsStep: Math.max(1, Math.floor(Math.min(...units) / 8)),
    bigSaleEuros: Math.max(1, Number(top / 100n)),
    storeBestDay: true,
  };
}

/** The milestones that must exist whatever the order of events: `rule|subject|step` (step as in the table). */
export function expectedMilestones(feed: ChaosFeed, rules: ChaosRules): Set<string> {
  const keys = new Set<string>();
  const totalEuros = feed.totalCents / 100n;
  for (let k = 1n; k * BigInt(rules.revenueStepEuros) <= totalEuros; k++)
    keys.add(`revenue_total|total|${k * BigInt(rules.revenueStepEuros)}.00`);
  for (const [product, units] of feed.unitsByProduct)
    for (let k = 1; k * rules.productUnitsStep <= units; k++)
      keys.add(`product_units|${product}|${k * rules.productUnitsStep}.00`);
  for (const sale of feed.sales.values())
    if (sale.amountCents >= BigInt(rules.bigSaleEuros) * 100n)
      keys.add(`big_sale|${sale.saleId}|${rules.bigSaleEuros}.00`);
  return keys;
}
