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
