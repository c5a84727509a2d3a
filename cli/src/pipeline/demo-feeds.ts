import fs from 'node:fs';
import path from 'node:path';
import type { Feeds } from './worker-plan.ts';

/**
 * The demo's feeds under `<home>/demo/`: copies of the client's products, stores and sales files
 * (data/pme, see its README for their origin), made once; the simulator then appends to the sales copy.
 */
export function prepareDemoFeeds(home: string, clientDataDir: string): Required<Feeds> {
  const dir = path.join(home, 'demo');
  fs.mkdirSync(dir, { recursive: true });
  const copy = (name: string) => {
    const target = path.join(dir, name);
    if (!fs.existsSync(target)) fs.copyFileSync(path.join(clientDataDir, name), target);
    return target;
  };
  return { products: copy('produits.csv'), stores: copy('magasins.csv'), sales: copy('ventes.csv') };
}

/**
 * The demo's milestone rules, `<home>/demo/milestone-rules.json`: steps that grow as a person reads them
 * (10 k€, 20 k€, 50 k€, 100 k€ … of revenue; 500, 1 000, 2 000 … units of a product) and only the sales of
 * 2 500 € or more, so that a simulated feed of hundreds of sales a second gives a handful of messages;
 * what still comes too fast goes out as one digest (see the notifier's NOTIFIER_DIGEST_*).
 */
export function demoMilestoneRules(home: string): string {
  const file = path.join(home, 'demo', 'milestone-rules.json');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const rules = {
      stepSeries: '1-2-5',
      revenueStepEuros: 10_000,
      productUnitsStep: 500,
      bigSaleEuros: 2_500,
      storeBestDay: false,
    };
    fs.writeFileSync(file, `${JSON.stringify(rules, null, 2)}\n`);
  }
  return file;
}
